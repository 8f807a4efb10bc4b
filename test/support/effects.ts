// A stand-in side effect for messaging tests: each handled event inserts a row into `test_effects`,
// in the same transaction as its dedup record. The table has no unique constraint on purpose, so a
// double effect would show up as a second row instead of being hidden by the database.
import { handleOnce } from '@oncepay/dedup';
import { executorOfPrisma, type PrismaRawSql } from '@oncepay/sql';
import type { EventHandler, HandleOutcome } from '@oncepay/messaging';
import type { TestDatabase } from './database';

/** The part of a generated Prisma client these helpers use. */
export interface TransactionalDb extends PrismaRawSql {
  $transaction<T>(
    fn: (tx: PrismaRawSql) => Promise<T>,
    options?: { isolationLevel?: 'ReadCommitted'; timeout?: number; maxWait?: number },
  ): Promise<T>;
}

export async function createEffectsTable(database: TestDatabase): Promise<void> {
  await database.createTable(
    'test_effects',
    'id bigserial PRIMARY KEY, consumer text NOT NULL, event_id uuid NOT NULL',
  );
}

/** A handler that applies each event once per consumer name and counts the outcomes it reported. */
export function effectRecordingHandler(
  db: TransactionalDb,
  consumer: string,
): EventHandler & { outcomes: Record<HandleOutcome, number> } {
  const outcomes: Record<HandleOutcome, number> = { processed: 0, duplicate: 0, ignored: 0 };
  const handler = async (event: { id: string }): Promise<HandleOutcome> => {
    const result = await handleOnce({
      consumer,
      messageId: event.id,
      transaction: (fn) =>
        db.$transaction((tx) => fn(executorOfPrisma(tx)), {
          isolationLevel: 'ReadCommitted',
          timeout: 10_000,
          maxWait: 5_000,
        }),
      effect: (tx) =>
        tx.execute(`INSERT INTO test_effects (consumer, event_id) VALUES ($1, $2::uuid)`, consumer, event.id),
    });
    outcomes[result.outcome === 'duplicate' ? 'duplicate' : 'processed'] += 1;
    return result.outcome === 'duplicate' ? 'duplicate' : 'processed';
  };
  return Object.assign(handler, { outcomes });
}

export async function countEffects(
  db: PrismaRawSql,
  consumer: string,
): Promise<{ total: number; distinct: number }> {
  const [row] = await db.$queryRawUnsafe<{ total: bigint; distinct: bigint }[]>(
    `SELECT count(*) AS total, count(DISTINCT event_id) AS distinct FROM test_effects WHERE consumer = $1`,
    consumer,
  );
  return { total: Number(row?.total ?? 0), distinct: Number(row?.distinct ?? 0) };
}
