// node-postgres on a test database, the way a service runs its hot paths: PgDatabase on a pool.
import { PgDatabase } from '@oncepay/sql';
import { Pool } from 'pg';

/** The caller ends it (`end()`) before dropping the database. */
export function createPgDatabase(url: string): { db: PgDatabase; end: () => Promise<void> } {
  const pool = new Pool({ connectionString: url, max: 10 });
  // pool.end() resolves before its connections have closed on the server, so the DROP DATABASE ...
  // WITH (FORCE) that follows can terminate one still closing; pg-pool then emits that as an 'error'
  // on the pool, which without a listener would crash the test process (the services listen too).
  pool.on('error', () => undefined);
  return { db: new PgDatabase(pool), end: () => pool.end() };
}
