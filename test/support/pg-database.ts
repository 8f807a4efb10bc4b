// node-postgres on a test database, the way a service runs its hot paths: PgDatabase on a pool.
import { PgDatabase } from '@oncepay/sql';
import { Pool, type PoolClient } from 'pg';

export interface TestPgDatabase {
  db: PgDatabase;
  /** The caller ends it (`end()`) before dropping the database. */
  end: () => Promise<void>;
  /**
   * The round trips to PostgreSQL made through `db` since the pool opened: one per query message its
   * connections sent (BEGIN and COMMIT included; several statements sent as one message count once).
   * A test reads it before and after what it counts.
   */
  roundTrips: () => number;
}

export function createPgDatabase(url: string): TestPgDatabase {
  const pool = new Pool({ connectionString: url, max: 10 });
  // pool.end() resolves before its connections have closed on the server, so the DROP DATABASE ...
  // WITH (FORCE) that follows can terminate one still closing; pg-pool then emits that as an 'error'
  // on the pool, which without a listener would crash the test process (the services listen too).
  pool.on('error', () => undefined);
  let roundTrips = 0;
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    // Every statement, prepared or not, leaves through client.query: count it there.
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      roundTrips += 1;
      return query(...args);
    };
  });
  return { db: new PgDatabase(pool), end: () => pool.end(), roundTrips: () => roundTrips };
}
