// The transfer-service's own metrics, beside the ones every service has (ServiceMetrics): transfers
// accepted (and how many shared each accept statement) and settled, holds expired, and the ledger answers its state machine refused. Counted after the commit that
// made them true, so a batch rolled back and retried is not counted twice.
import { Injectable } from '@nestjs/common';
import type { RejectionReason } from '@oncepay/contracts';
import { ServiceMetrics } from '@oncepay/service-runtime';
import type { Counter, Histogram } from 'prom-client';

/** Up to the accept batch's maximum (MAX_ACCEPT_BATCH). */
const ACCEPT_BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What applying one ledger answer did, for the counters. */
export type LedgerAnswerEffect =
  | { kind: 'settled'; status: 'COMPLETED' | 'CAPTURED' | 'VOIDED' | 'EXPIRED' }
  | { kind: 'settled'; status: 'FAILED'; reason: RejectionReason }
  | { kind: 'ignored'; reason: 'stale' | 'illegal' }
  | { kind: 'none' };

@Injectable()
export class TransferMetrics {
  private readonly accepted: Counter;
  private readonly acceptBatchSize: Histogram;
  private readonly settled: Counter<'status' | 'reason'>;
  private readonly ignored: Counter<'reason'>;
  private readonly expiries: Counter;

  constructor(metrics: ServiceMetrics) {
    this.accepted = metrics.counter({
      name: 'oncepay_transfers_accepted_total',
      help: 'Transfers accepted (202), replays of an Idempotency-Key not included',
    });
    this.acceptBatchSize = metrics.histogram({
      name: 'oncepay_accept_batch_size',
      help: 'Transfer requests written by one accept statement (one commit), replays and 422s included',
      buckets: ACCEPT_BATCH_BUCKETS,
    });
    this.settled = metrics.counter({
      name: 'oncepay_transfers_settled_total',
      help: 'Transfers that reached a final status (COMPLETED, FAILED, CAPTURED, VOIDED, EXPIRED), with the reason a FAILED one has',
      labelNames: ['status', 'reason'],
    });
    this.ignored = metrics.counter({
      name: 'oncepay_transfer_ledger_answers_ignored_total',
      help: 'Ledger answers the state machine refused: stale (older than the state) or illegal (conflicting)',
      labelNames: ['reason'],
    });
    this.expiries = metrics.counter({
      name: 'oncepay_holds_expiring_total',
      help: 'Holds the expiry job found past their expiry and moved to EXPIRING (ReleaseRequested sent)',
    });
  }

  transferAccepted(): void {
    this.accepted.inc();
  }

  acceptBatchWritten(size: number): void {
    this.acceptBatchSize.observe(size);
  }

  holdsExpired(count: number): void {
    this.expiries.inc(count);
  }

  ledgerAnswersApplied(effects: readonly LedgerAnswerEffect[]): void {
    for (const effect of effects) {
      if (effect.kind === 'settled')
        this.settled.inc({ status: effect.status, reason: effect.status === 'FAILED' ? effect.reason : '' });
      else if (effect.kind === 'ignored') this.ignored.inc({ reason: effect.reason });
    }
  }
}
