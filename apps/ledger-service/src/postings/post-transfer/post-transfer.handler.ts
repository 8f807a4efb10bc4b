// Carries out the ledger's requests, effectively once, a batch at a time: transfers (a payment, a
// refund, or a hold to place) and a hold's capture or release. In ONE transaction it records the events'
// ids as processed, locks every account the batch touches (one sorted statement), reads which of its
// transfers were decided before, and, only when the batch needs them, locks the holds it captures or
// releases and reads the payments it refunds (one statement each); then it decides each request in
// order in memory under those locks (each one sees what the ones before it left) and writes what it
// decided: the decisions, the journal entries, the holds, the accounts' balances and held amounts and
// the answers in the outbox. So an answer is published if and only if its decision committed, and no
// delivery can decide twice. A batch of one is the simple case.
import { newId } from '@oncepay/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RejectionReason, TransferRequested } from '@oncepay/contracts';
import { handleBatchOnce } from '@oncepay/dedup';
import type { SqlExecutor, PgDatabase } from '@oncepay/sql';
import { enqueueEvents, enqueueRecords, type DeadLetter } from '@oncepay/messaging';
import { PG_DATABASE, type PositionOf } from '@oncepay/service-runtime';
import { LedgerBatch } from '../ledger-batch';
import {
  claimDecisionIfUndecided,
  DecisionRaceError,
  decidedAmong,
  lockAccounts,
  lockHolds,
  readRefundablePayments,
  writeBatch,
} from '../posting.repository';
import {
  decideIntoBatch,
  normalizedFacts,
  type LedgerRequest,
  type PostTransferResult,
} from './decide-request';
import { transferRejectedEvent } from './ledger-answer.event';

export { HoldStepRefusedError, type LedgerRequest, type PostTransferResult } from './decide-request';

/** The dedup consumer name: processed_messages rows are per consumer, so the name never changes. */
export const POST_TRANSFER_CONSUMER = 'ledger-service.post-transfer';

/** A race needs another transaction per attempt; a few attempts settle any real contention. */
const MAX_DECISION_RACES = 5;

@Injectable()
export class PostTransferHandler {
  private readonly logger = new Logger(PostTransferHandler.name);

  /** node-postgres, not Prisma: a batch is a fixed handful of statements, run many times a second. */
  constructor(@Inject(PG_DATABASE) private readonly db: PgDatabase) {}

  async execute(request: LedgerRequest): Promise<PostTransferResult> {
    const [result] = await this.executeBatch([request]);
    return result as PostTransferResult;
  }

  /**
   * Decides a batch of requests in one transaction; one result per request, in the same order.
   * `positionOf` says where each request was read, for the transfer trail (the consumer knows it).
   */
  async executeBatch(
    requests: readonly LedgerRequest[],
    positionOf?: PositionOf,
  ): Promise<PostTransferResult[]> {
    if (requests.length === 0) return [];
    const handled = await this.decideBatchOnce(requests, positionOf);
    const results = handled.map((entry): PostTransferResult =>
      entry.outcome === 'duplicate' ? { outcome: 'duplicate_event' } : entry.result,
    );
    requests.forEach((request, i) => this.logResult(request, results[i] as PostTransferResult));
    return results;
  }

  /**
   * A DecisionRaceError rolled the batch back because another transaction decided one of its transfers
   * first; that decision is committed now (the INSERT waited for it), so the next attempt skips it.
   */
  private async decideBatchOnce(requests: readonly LedgerRequest[], positionOf: PositionOf | undefined) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryDecideBatchOnce(requests, positionOf);
      } catch (error) {
        if (!(error instanceof DecisionRaceError) || attempt >= MAX_DECISION_RACES) throw error;
        this.logger.warn({ message: 'a transfer of the batch was decided concurrently; retrying', attempt });
      }
    }
  }

  private tryDecideBatchOnce(requests: readonly LedgerRequest[], positionOf: PositionOf | undefined) {
    let batch: LedgerBatch | null = null;
    return handleBatchOnce<SqlExecutor, LedgerRequest, PostTransferResult>({
      consumer: POST_TRANSFER_CONSUMER,
      messages: requests,
      positionOf,
      // READ COMMITTED is enough: the account row locks serialize postings, and each statement after a
      // lock wait sees what the lock holder committed.
      transaction: (fn) => this.db.transaction(fn),
      prepare: async (tx, fresh) => {
        batch = await this.lockBatch(tx, fresh);
      },
      effect: async (_tx, request) => decideIntoBatch(request, batch as LedgerBatch),
      finish: async (tx, results) => {
        // The answers leave in decision order, written with the batch in one statement.
        await writeBatch(tx, (batch as LedgerBatch).writes, results.flatMap(answerOf));
      },
    });
  }

  /**
   * Locks every account the batch names, in one statement and a fixed order, so two batches never
   * deadlock; then reads which of its transfers were decided before (a decision committed by another
   * instance is visible now: it held these locks, and READ COMMITTED reads what committed). A hold is
   * locked after its accounts, like in every transaction that touches it; a capture or release names
   * its hold's accounts, so steps of one hold queue on those account locks first.
   */
  private async lockBatch(tx: SqlExecutor, fresh: readonly LedgerRequest[]): Promise<LedgerBatch> {
    const facts = fresh.map((request) => normalizedFacts(request.payload));
    const accounts = await lockAccounts(
      tx,
      facts.flatMap((f) => [f.fromAccountId, f.toAccountId]),
    );
    const transfers = fresh.flatMap((r) =>
      r.type === 'TransferRequested' ? [normalizedFacts(r.payload)] : [],
    );
    const holdSteps = fresh.flatMap((r) =>
      r.type === 'TransferRequested' ? [] : [normalizedFacts(r.payload)],
    );
    const decided = await decidedAmong(
      tx,
      transfers.map((f) => f.transferId),
    );
    // Added statements, each only for a batch that needs it: none for a batch of payments.
    const holds = await lockHolds(
      tx,
      holdSteps.map((f) => f.transferId),
    );
    const payments = await readRefundablePayments(
      tx,
      transfers.flatMap((f) => (f.refundOf === undefined ? [] : [f.refundOf])),
    );
    return new LedgerBatch(accounts, decided, holds, payments);
  }

  /**
   * Ends, by design, a transfer whose request is being dead-lettered because handling it kept failing:
   * in ONE transaction the request's dedup record, a REJECTED decision with UNPROCESSABLE, the
   * TransferRejected in the outbox and the `deadLetter` (the consumer's), so the transfer ends FAILED,
   * its client is told, and the dead letter is sent if and only if this committed. It changes nothing
   * but the dead letter when the request was processed before or the transfer already has a decision,
   * posted or rejected: money that moved is never failed after the fact. A replay of the dead letter is
   * then a duplicate, like any redelivery.
   */
  async rejectUnprocessable(request: TransferRequested, deadLetter: DeadLetter): Promise<PostTransferResult> {
    const [handled] = await handleBatchOnce<SqlExecutor, TransferRequested, PostTransferResult>({
      consumer: POST_TRANSFER_CONSUMER,
      messages: [request],
      transaction: (fn) => this.db.transaction(fn),
      // After the answer (if any): the relay sends in position order.
      finish: async (tx) => {
        // The outbox keeps text: decodeEvent refuses bytes that are not UTF-8, so as text they are the same bytes.
        await enqueueRecords(tx, [{ id: newId(), ...deadLetter, value: deadLetter.value.toString('utf8') }]);
      },
      effect: async (tx) => {
        const reason: RejectionReason = 'UNPROCESSABLE';
        const decidedAt = new Date();
        const { transferId, refundOf } = normalizedFacts(request.payload);
        const decision = {
          transferId,
          outcome: 'REJECTED' as const,
          reason,
          decidedAt,
          refundOf: refundOf ?? null,
        };
        if (!(await claimDecisionIfUndecided(tx, decision))) return { outcome: 'already_decided' };
        const answer = transferRejectedEvent(request, { id: newId(), reason, decidedAt });
        await enqueueEvents(tx, [answer]);
        return { outcome: 'rejected', reason, answer };
      },
    });
    const result: PostTransferResult =
      handled?.outcome === 'processed' ? handled.result : { outcome: 'duplicate_event' };
    this.logResult(request, result);
    return result;
  }

  private logResult(request: LedgerRequest, result: PostTransferResult): void {
    this.logger.log({
      message: `${request.type} ${result.outcome}`,
      transferId: request.aggregateId,
      eventId: request.id,
      correlationId: request.correlationId,
      ...(result.outcome === 'rejected' ? { reason: result.reason } : {}),
    });
  }
}

function answerOf(result: PostTransferResult) {
  return 'answer' in result ? [result.answer] : [];
}
