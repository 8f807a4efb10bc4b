// Group commit of the accept statement: the transfer requests that arrive while an accept statement
// is in flight wait for it and are then written together, ONE statement and one commit for the batch
// (insertTransfersOnce), instead of one each. Round trips, not computation, are most of a transfer's
// cost (a socket write per statement; docs/performance.md), so a busy service gets fuller, cheaper
// commits; an idle one sends each request at once (no timer). What it costs a request is the wait for
// the batch in flight ahead of it (docs/adr/0014-group-commit-of-accepts.md).
//
// Each request's promise resolves only once its batch committed, so a 202 still follows the commit
// that holds its transfer, key and outbox row. Two requests with one (client, key) never share a
// batch: the later one waits for the earlier one's commit, then finds the key stored (replay or 422),
// as a retry would. A batch the database refuses for one request's value is written again one by one,
// so only that request fails; the database away fails every request of the batch (503, as before).
import { Inject, Injectable } from '@nestjs/common';
import type { OutboxSignal } from '@oncepay/messaging';
import { OUTBOX_SIGNAL, PG_DATABASE } from '@oncepay/service-runtime';
import { GroupCommit, isRetriableError, PgDatabase, type GroupCommitStats } from '@oncepay/sql';
import { insertTransfersOnce, type NewTransferWrite } from '../transfer.repository';
import { TransferMetrics } from '../transfer-metrics';

/** Requests per accept statement at most: one statement's parameters stay small (a few hundred kB). */
export const MAX_ACCEPT_BATCH = 256;
/**
 * Accept statements in flight at once. Two, so one batch fills while the other commits (its WAL flush),
 * and a few pooled connections stay free for replays, reads, the relay and the consumers.
 */
export const ACCEPT_BATCHES_IN_FLIGHT = 2;
/** Requests that may wait for a batch; more are answered 503 (retry later), not queued without end. */
const MAX_WAITING_ACCEPTS = 16 * MAX_ACCEPT_BATCH;

@Injectable()
export class AcceptBatcher {
  private readonly batches: GroupCommit<NewTransferWrite, boolean>;

  constructor(
    @Inject(PG_DATABASE) db: PgDatabase,
    @Inject(OUTBOX_SIGNAL) outboxSignal: OutboxSignal,
    metrics: TransferMetrics,
  ) {
    this.batches = new GroupCommit({
      writeBatch: async (writes) => {
        metrics.acceptBatchWritten(writes.length);
        const created = await insertTransfersOnce(db, writes);
        // Committed: the relay may publish the new TransferRequested events now.
        if (created.includes(true)) outboxSignal.committed();
        return created;
      },
      conflictKeyOf: (write) => JSON.stringify([write.key.clientId, write.key.key]),
      // The database busy or away fails the batch for all of them alike; anything else may be one value.
      mayBeOneItemsFault: (error) => !isRetriableError(error),
      maxBatchSize: MAX_ACCEPT_BATCH,
      maxBatchesInFlight: ACCEPT_BATCHES_IN_FLIGHT,
      maxWaiting: MAX_WAITING_ACCEPTS,
    });
  }

  /** Resolves, once its batch committed, whether the write's key was new (its transfer stored). */
  write(write: NewTransferWrite): Promise<boolean> {
    return this.batches.submit(write);
  }

  stats(): GroupCommitStats {
    return this.batches.stats();
  }
}
