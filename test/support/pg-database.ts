// node-postgres on a test database, the way a service runs its hot paths: PgDatabase on a pool.
import { PgDatabase } from '@oncepay/nest-common';
import { Pool } from 'pg';

/** The caller ends it (`end()`) before dropping the database. */
export function createPgDatabase(url: string): { db: PgDatabase; end: () => Promise<void> } {
  const pool = new Pool({ connectionString: url, max: 10 });
  return { db: new PgDatabase(pool), end: () => pool.end() };
}
