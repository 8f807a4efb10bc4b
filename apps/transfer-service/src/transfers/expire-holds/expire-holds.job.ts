// Releases holds nobody captured or voided in time: every HOLD_EXPIRY_INTERVAL_MS it locks up to
// HOLD_EXPIRY_BATCH_SIZE holds still HELD past their expiry (FOR UPDATE SKIP LOCKED: several instances
// share the work, and a client's step in flight is left to decide first), decides ExpireHold for each
// and saves the EXPIRING states with their ReleaseRequested events in the outbox, one transaction per
// batch; a full batch is followed by another, at most MAX_BATCHES_PER_RUN per run. The ledger then
// releases the hold and answers HoldReleased (EXPIRY), which makes the hold EXPIRED. Runs like the
// RetentionJob: one run at a time, the timer unref'd, the run in flight awaited on shutdown.
import { newId } from '@oncepay/contracts';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { OncePayEvent } from '@oncepay/contracts';
import type { OutboxSignal } from '@oncepay/messaging';
import { OUTBOX_SIGNAL, PG_DATABASE } from '@oncepay/service-runtime';
import { PgDatabase } from '@oncepay/sql';
import { decide, evolve, type KnownTransferState } from '@oncepay/transfer-state-machine';
import { TransferMetrics } from '../transfer-metrics';
import { lockDueHolds, saveTransferStates, toTransferState } from '../transfer.repository';

/** A backlog (the service was down a while) is worked off over several runs, not in one long one. */
const MAX_BATCHES_PER_RUN = 20;

@Injectable()
export class ExpireHoldsJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExpireHoldsJob.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly intervalMs: number;
  private readonly batchSize: number;

  constructor(
    @Inject(PG_DATABASE) private readonly db: PgDatabase,
    @Inject(OUTBOX_SIGNAL) private readonly outboxSignal: OutboxSignal,
    private readonly metrics: TransferMetrics,
    config: ConfigService,
  ) {
    this.intervalMs = config.getOrThrow<number>('HOLD_EXPIRY_INTERVAL_MS');
    this.batchSize = config.getOrThrow<number>('HOLD_EXPIRY_BATCH_SIZE');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.run()
        .catch((error: unknown) =>
          this.logger.warn({ message: 'hold expiry run failed', error: String(error) }),
        )
        .finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /**
   * One run: batches of due holds until one finds fewer than it asked for; returns how many holds it
   * expired. A hold that could not be expired is passed over by the run's later batches, so however
   * many such rows sort first, the holds due after them are reached (within MAX_BATCHES_PER_RUN).
   */
  async run(now: () => Date = () => new Date()): Promise<number> {
    let expired = 0;
    const passedOver = new Set<string>();
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const { locked, expired: count } = await this.expireBatch(now(), passedOver);
      expired += count;
      if (locked < this.batchSize) break;
    }
    if (expired > 0) this.logger.log({ message: 'holds expired', count: expired });
    return expired;
  }

  /**
   * One transaction: the due holds locked (but those in `passedOver`), each decided ExpireHold, saved
   * EXPIRING with its event. A hold that cannot be expired is added to `passedOver`.
   */
  private async expireBatch(
    now: Date,
    passedOver: Set<string>,
  ): Promise<{ locked: number; expired: number }> {
    const { locked, expired } = await this.db.transaction(async (tx) => {
      const rows = await lockDueHolds(tx, now, this.batchSize, [...passedOver]);
      const states: KnownTransferState[] = [];
      const events: OncePayEvent[] = [];
      for (const row of rows) {
        // One row the state machine cannot read or expire (a bug, or a row changed by hand) is logged
        // and left HELD, for the audit's holds-end check to show; it must not hold back every hold
        // due after it, which a thrown batch would, run after run.
        try {
          const state = toTransferState(row);
          const decision = decide(
            // The expiry has no request of its own: it carries the hold's first one's correlation id.
            { type: 'ExpireHold', eventId: newId(), correlationId: row.correlationId, now },
            state,
          );
          // The rows were chosen HELD and due at `now`, under their lock: any other outcome is a bug.
          if (decision.outcome !== 'accepted')
            throw new Error(`hold ${row.id} was due but its expiry was ${decision.outcome}`);
          states.push(decision.events.reduce(evolve, state) as KnownTransferState);
          events.push(...decision.events);
        } catch (error) {
          passedOver.add(row.id);
          this.logger.error({
            message: 'a due hold could not be expired; left HELD',
            transferId: row.id,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      await saveTransferStates(tx, states, now, events);
      return { locked: rows.length, expired: states.length };
    });
    if (expired > 0) {
      // Committed: the relay may publish the ReleaseRequested events, and the expiries count.
      this.outboxSignal.committed();
      this.metrics.holdsExpired(expired);
    }
    return { locked, expired };
  }
}
