// The idempotent-consumer pattern in one call: record the message id and apply its effect in ONE
// database transaction, so a redelivered message (Kafka is at-least-once) never applies twice.
import {
  recordAbsorbedDuplicates,
  recordProcessed,
  recordProcessedBatch,
  type DeliveryPosition,
} from './processed-messages';
import type { SqlExecutor } from '@oncepay/sql';

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

export interface HandleBatchOnceOptions<Tx extends SqlExecutor, M extends { id: string }, R> {
  consumer: string;
  /** The batch, in delivery order; `id` is each message's envelope event id. */
  messages: readonly M[];
  transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  /**
   * Runs once, after the dedup records and before the effects, with the messages this batch is the
   * first to process: the place to take every lock the batch needs in one statement, in a fixed order.
   */
  prepare?: (tx: Tx, fresh: readonly M[]) => Promise<void>;
  /** One message's effect, written through `tx` only; called for fresh messages, in batch order. */
  effect: (tx: Tx, message: M) => Promise<R>;
  /** Runs last, with the fresh messages' results in order: the place for one write for the whole batch. */
  finish?: (tx: Tx, results: readonly R[]) => Promise<void>;
  /**
   * Where each message was read. When given, the dedup records keep it and every duplicate delivery is
   * recorded in `absorbed_duplicates`, both in this transaction (the transfer trail reads them).
   */
  positionOf?: (message: M) => DeliveryPosition;
}

/**
 * `handleOnce` for a batch: ONE transaction records every message id and applies the effects of the
 * messages not processed before, in order, so the batch commits or rolls back as a whole. A message
 * that appears twice in the batch (a producer retry, say) is applied once. Results are in batch order.
 */
export async function handleBatchOnce<Tx extends SqlExecutor, M extends { id: string }, R>(
  opts: HandleBatchOnceOptions<Tx, M, R>,
): Promise<HandleOnceResult<R>[]> {
  return opts.transaction(async (tx) => {
    const positions = opts.positionOf ? opts.messages.map(opts.positionOf) : undefined;
    const recordedNow = await recordProcessedBatch(
      tx,
      opts.consumer,
      opts.messages.map((message) => message.id),
      positions,
    );
    // The first occurrence of a newly recorded id is fresh; everything else is a duplicate.
    const freshIndexes = opts.messages.flatMap((message, i) =>
      recordedNow.delete(message.id.toLowerCase()) ? [i] : [],
    );
    if (positions) {
      const fresh = new Set(freshIndexes);
      await recordAbsorbedDuplicates(
        tx,
        opts.consumer,
        positions.flatMap((position, i) =>
          fresh.has(i) ? [] : [{ ...position, messageId: (opts.messages[i] as M).id }],
        ),
      );
    }
    const fresh = freshIndexes.map((i) => opts.messages[i] as M);
    await opts.prepare?.(tx, fresh);
    const results = new Map<number, R>();
    for (const i of freshIndexes) results.set(i, await opts.effect(tx, opts.messages[i] as M));
    await opts.finish?.(tx, [...results.values()]);
    return opts.messages.map((_, i): HandleOnceResult<R> =>
      results.has(i) ? { outcome: 'processed', result: results.get(i) as R } : { outcome: 'duplicate' },
    );
  });
}
