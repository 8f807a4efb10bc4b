// Tells the outbox relays that rows were committed, without a NOTIFY inside the writing transaction.
//
// Why not NOTIFY in the transaction, the textbook way: PostgreSQL serializes the commits of all
// transactions that issued a NOTIFY, cluster-wide (they queue for one lock held through the commit's
// WAL flush). Every accepted transfer and every consumer batch writes outbox rows, so that lock became
// the limit on OncePay's accept rate (measured: 253 accepted/s with it, 375/s without; see
// docs/performance.md). Instead, once the transaction committed:
// - the relay in this process is woken directly (the common case: one instance per service);
// - one NOTIFY outside any transaction (nothing to flush, so the lock is held for an instant) reaches
//   relays in other instances. Signals that arrive while it is in flight share the next one.
// A lost signal costs latency only: every relay also polls (its safety net).
import type { SqlExecutor } from '@oncepay/sql';
import { describeError } from '@oncepay/sql';
import { jsonLineLogger, type MessagingLogger } from './logger';
import { OUTBOX_CHANNEL } from './outbox';

export class OutboxSignal {
  private readonly localRelays = new Set<() => void>();
  private notifying = false;
  private notifyAgain = false;

  constructor(
    private readonly db: SqlExecutor,
    private readonly logger: MessagingLogger = jsonLineLogger,
  ) {}

  /** A relay of this process asks to be woken; returns the way to stop. */
  subscribe(wake: () => void): () => void {
    this.localRelays.add(wake);
    return () => this.localRelays.delete(wake);
  }

  /** Call after a transaction that enqueued outbox rows has committed (never inside it). */
  committed(): void {
    for (const wake of this.localRelays) wake();
    void this.notifyOtherInstances();
  }

  private async notifyOtherInstances(): Promise<void> {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    try {
      do {
        this.notifyAgain = false;
        await this.db.query(`SELECT pg_notify($1, '')`, OUTBOX_CHANNEL);
      } while (this.notifyAgain);
    } catch (error) {
      this.logger.warn('outbox NOTIFY failed; relays elsewhere fall back to polling', {
        error: describeError(error),
      });
    } finally {
      this.notifying = false;
    }
  }
}
