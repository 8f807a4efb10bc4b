// Retention cleanup shared by the processed-message log, the outbox and the idempotency keys: many
// short DELETEs rather than one big one, so no cleanup run holds locks, bloats WAL or outlives a
// statement timeout, and a time budget rather than a row cap, so a run sheds as much as its budget
// allows (docs/adr/0010-retention-batched-deletes-under-a-time-budget.md).
import { performance } from 'node:perf_hooks';
import type { SqlExecutor } from './sql-executor';

export interface BatchBounds {
  /** Rows deleted per statement. */
  batchSize: number;
  /** Statements per call at most; the next call (the next scheduled run) continues where this one stopped. */
  maxBatches: number;
  /**
   * Milliseconds after which no further statement starts (the one running finishes). The first
   * statement always runs, so every call makes progress whatever the budget.
   */
  budgetMs?: number;
}

export function assertBatchBounds({ batchSize, maxBatches, budgetMs }: BatchBounds): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isSafeInteger(maxBatches) || maxBatches < 1) {
    throw new RangeError(`maxBatches must be a positive integer, got ${maxBatches}`);
  }
  if (budgetMs !== undefined && !(Number.isFinite(budgetMs) && budgetMs >= 0)) {
    throw new RangeError(`budgetMs must be a non-negative number, got ${budgetMs}`);
  }
}

/**
 * Runs `deleteBatchSql` (one DELETE whose last parameter is the batch size) until a batch comes back
 * short (or, with `doneWhen: 'empty-batch'`, for a DELETE that may skip rows it looked at, empty),
 * `maxBatches` ran or `budgetMs` is spent, and returns how many rows went. Each statement commits
 * on its own when `db` is a client rather than a transaction, which is how it should be called.
 */
export async function deleteInBatches(
  db: SqlExecutor,
  deleteBatchSql: string,
  values: unknown[],
  bounds: BatchBounds,
  doneWhen: 'short-batch' | 'empty-batch' = 'short-batch',
): Promise<number> {
  assertBatchBounds(bounds);
  const deadline = performance.now() + (bounds.budgetMs ?? Infinity);
  let deleted = 0;
  for (let batch = 0; batch < bounds.maxBatches; batch++) {
    if (batch > 0 && performance.now() >= deadline) break;
    const count = await db.execute(deleteBatchSql, ...values, bounds.batchSize);
    if (!Number.isSafeInteger(count) || count < 0 || count > bounds.batchSize) {
      throw new Error(`a batch DELETE reported ${count} rows for a batch of ${bounds.batchSize}`);
    }
    deleted += count;
    if (doneWhen === 'short-batch' ? count < bounds.batchSize : count === 0) break;
  }
  return deleted;
}

/** A table whose rows expire: its key columns and the column that says when a row expires. */
export interface ExpiringTable {
  name: string;
  key: readonly string[];
  timeColumn: string;
}

/**
 * Deletes the rows of `table` whose `timeColumn` lies before `before`, oldest first, in bounded batches
 * (deleteInBatches), and returns how many went. SKIP LOCKED: two cleanup runs share the work instead of
 * queueing behind each other. The table and column names are the caller's constants, never input.
 */
export function deleteExpired(
  db: SqlExecutor,
  table: ExpiringTable,
  before: Date,
  bounds: BatchBounds,
): Promise<number> {
  if (Number.isNaN(before.getTime())) throw new RangeError('the cutoff is an invalid Date');
  const key = table.key.join(', ');
  return deleteInBatches(
    db,
    `DELETE FROM ${table.name} WHERE (${key}) IN (
       SELECT ${key} FROM ${table.name}
       WHERE ${table.timeColumn} < $1::timestamptz
       ORDER BY ${table.timeColumn}
       LIMIT $2::int
       FOR UPDATE SKIP LOCKED)`,
    [before.toISOString()],
    bounds,
  );
}
