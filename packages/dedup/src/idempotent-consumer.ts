// The idempotent-consumer pattern in one call: record the message id and apply its effect in ONE
// database transaction, so a redelivered message (Kafka is at-least-once) never applies twice.
import { recordProcessed } from './processed-messages';
import type { SqlExecutor } from './sql-executor';

/**
 * `processed`: this delivery applied the effect, whose result is attached.
 * `duplicate`: an earlier delivery already applied it; nothing was done.
 */
export type HandleOnceResult<R> = { outcome: 'processed'; result: R } | { outcome: 'duplicate' };

export interface HandleOnceOptions<Tx extends SqlExecutor, R> {
  /** Who consumes, e.g. `ledger.transfer-requested`: the same message may matter to several consumers. */
  consumer: string;
  /** The envelope's event id (a UUID). */
  messageId: string;
  /**
   * Runs `fn` in one database transaction and commits it, e.g.
   * `(fn) => prisma.$transaction(fn, { isolationLevel: 'ReadCommitted', timeout, maxWait })`.
   */
  transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  /** The message's effect, written through `tx` only. If it throws, nothing is recorded. */
  effect: (tx: Tx) => Promise<R>;
}

/**
 * Records the message first, then runs the effect, in the same transaction. Recording first makes a
 * concurrent duplicate wait on the row lock before it does any work, and then return `duplicate`.
 * When the effect throws, the transaction rolls back with the record, so a retry processes the message.
 * Commit the Kafka offset only after this resolves.
 */
export async function handleOnce<Tx extends SqlExecutor, R>(
  opts: HandleOnceOptions<Tx, R>,
): Promise<HandleOnceResult<R>> {
  return opts.transaction(async (tx): Promise<HandleOnceResult<R>> => {
    const recorded = await recordProcessed(tx, opts.consumer, opts.messageId);
    if (recorded === 'duplicate') return { outcome: 'duplicate' };
    return { outcome: 'processed', result: await opts.effect(tx) };
  });
}
