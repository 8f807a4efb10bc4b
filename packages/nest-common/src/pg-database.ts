// node-postgres behind the same door as Prisma's raw queries (SqlExecutor), on the same connection
// pool. For the hottest path only, accepting a transfer: there Prisma's own cost per query (about half
// a millisecond of CPU on top of node-postgres, see docs/performance.md) is paid several times per
// HTTP request. Everything else keeps Prisma: its typed queries are worth more than that cost when a
// batch shares it.
import type { SqlExecutor } from '@oncepay/dedup';
import type { Pool, PoolClient } from 'pg';

export class PgDatabase implements SqlExecutor {
  constructor(private readonly pool: Pool) {}

  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
    return queryRows<T>(this.pool, query, values);
  }

  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    return countRows(this.pool, query, values);
  }

  /** Runs `fn` in one READ COMMITTED transaction on one pooled connection: committed, or rolled back if it throws. */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no error listener (pg-pool removes its own), and an unhandled 'error'
    // (the database restarting mid-transaction) would crash the process. Record it instead: the query
    // in flight fails, and the client is not given back to the pool.
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await fn(executorOn(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not given back to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function executorOn(client: PoolClient): SqlExecutor {
  return {
    $queryRawUnsafe: <T>(query: string, ...values: unknown[]) => queryRows<T>(client, query, values),
    $executeRawUnsafe: (query: string, ...values: unknown[]) => countRows(client, query, values),
  };
}

async function queryRows<T>(db: Pool | PoolClient, query: string, values: unknown[]): Promise<T> {
  const result = await db.query(query, values);
  return result.rows as T;
}

async function countRows(db: Pool | PoolClient, query: string, values: unknown[]): Promise<number> {
  const result = await db.query(query, values);
  return result.rowCount ?? 0;
}
