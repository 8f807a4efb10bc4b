// `npm run bench:retention`: how many expired rows per second each retention purge sheds on this machine,
// the number docs/adr/0010-retention-batched-deletes-under-a-time-budget.md weighs against the rate the
// services write them. On a PostgreSQL of its own (in .oncepay/retention-capacity, on the stack's port,
// so nothing else may run there) with a freshly migrated transfer database, for each table and each batch
// size: a backlog of expired rows behind the rows still inside the window (as a table looks after an
// outage of the job), VACUUM ANALYZE, then one purge without a budget, timed. Prints a table.
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { PgDatabase } from '@oncepay/sql';
import { migrateDatabase } from '../db/migrate';
import { DATA_DIR } from '../infra/paths';
import { startPostgres, withPgClient } from '../infra/postgres';
import { postgresUrl, stackConfig } from '../infra/stack-config';
import { table } from './report';
import { EXPIRING_KINDS } from './retention-rows';

const STATE_DIR = path.join(DATA_DIR, 'retention-capacity');
const DATABASE = 'oncepay_retention_capacity';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      expired: { type: 'string', default: '200000' },
      kept: { type: 'string', default: '200000' },
      'batch-sizes': { type: 'string', default: '1000,5000,20000' },
    },
  });
  const expired = Number(values.expired);
  const kept = Number(values.kept);
  const batchSizes = values['batch-sizes'].split(',').map(Number);
  if (![expired, kept, ...batchSizes].every((n) => Number.isSafeInteger(n) && n > 0))
    throw new Error('--expired, --kept and --batch-sizes take positive integers');

  await fs.rm(STATE_DIR, { recursive: true, force: true });
  const postgres = await startPostgres({
    dataDir: path.join(STATE_DIR, 'postgres'),
    logFile: path.join(STATE_DIR, 'postgres.log'),
    ...stackConfig.postgres,
  });
  const adminUrl = postgresUrl('postgres');
  const pool = new Pool({ connectionString: postgresUrl(DATABASE), max: 2 });
  try {
    await migrateDatabase(adminUrl, 'transfer', DATABASE);
    const db = new PgDatabase(pool);
    const rows: string[][] = [];
    for (const kind of EXPIRING_KINDS) {
      for (const batchSize of batchSizes) {
        await db.execute(`TRUNCATE ${kind.table}`);
        await kind.seed(db, expired, kept);
        await withPgClient(postgresUrl(DATABASE), (client) => client.query(`VACUUM ANALYZE ${kind.table}`));
        const started = performance.now();
        const deleted = await kind.purge(db, { batchSize, maxBatches: 1_000_000 });
        const seconds = (performance.now() - started) / 1000;
        if (deleted !== expired)
          throw new Error(`${kind.table}: deleted ${deleted} of ${expired} expired rows`);
        const perBatchMs = (seconds * 1000) / Math.ceil(expired / batchSize);
        rows.push([
          kind.table,
          String(batchSize),
          String(deleted),
          seconds.toFixed(2),
          (deleted / seconds).toFixed(0),
          perBatchMs.toFixed(1),
        ]);
        console.log(`[retention-capacity] ${rows.at(-1)!.join(' ')}`);
      }
    }
    console.log(
      `\n${expired} expired rows behind ${kept} kept ones; one purge each, no budget.\n\n` +
        table(['table', 'batch', 'deleted', 'seconds', 'rows/s', 'ms/batch'], rows).join('\n'),
    );
  } finally {
    await pool.end();
    await postgres.stop();
  }
}

main().catch((error: unknown) => {
  console.error('[retention-capacity]', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
