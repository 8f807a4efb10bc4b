// `tsx scripts/bench/purge-pressure.ts --seconds <s>`: the retention job at its worst, for measuring what
// it costs the hot path (docs/performance.md, "Retention"): beside a running stack (the benchmark's own,
// on the configured ports), each service's database gets a standing backlog of expired rows of every
// kind it holds, and one loop per database runs the retention's DELETE batches back to back, as a job
// working off a backlog does for its whole budget. Each batch is rolled back rather than committed, so
// the backlog stands for the whole run: the reads, row locks and WAL of every DELETE, without the
// dead rows a committed one leaves for autovacuum (which the soak measures instead). Prints batches/s.
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { PgDatabase } from '@oncepay/sql';
import { postgresUrl, stackConfig } from '../infra/stack-config';
import { RETENTION_BOUNDS } from '../../packages/service-runtime/src/retention-job';
import { EXPIRING_KINDS, type ExpiringKind } from './retention-rows';

const TABLES_OF: Record<string, readonly string[]> = {
  transfer: ['processed_messages', 'outbox_messages', 'idempotency_keys'],
  ledger: ['processed_messages', 'outbox_messages'],
  notification: ['processed_messages'],
};

/** Thrown inside the transaction to roll a batch back. */
class RollBack extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '60' }, backlog: { type: 'string', default: '100000' } },
  });
  const seconds = Number(values.seconds);
  const backlog = Number(values.backlog);
  const pools = stackConfig.services.map((service) => ({
    name: service.name,
    pool: new Pool({ connectionString: postgresUrl(service.database), max: 1 }),
  }));
  try {
    for (const { name, pool } of pools) {
      const db = new PgDatabase(pool);
      for (const kind of kindsOf(name)) await kind.seed(db, backlog, 0);
      console.log(
        `[purge-pressure] ${name}: ${backlog} expired rows in each of ${TABLES_OF[name]!.join(', ')}`,
      );
    }
    const deadline = Date.now() + seconds * 1000;
    const counts = await Promise.all(
      pools.map(async ({ name, pool }) => {
        const db = new PgDatabase(pool);
        let batches = 0;
        let rows = 0;
        while (Date.now() < deadline) {
          for (const kind of kindsOf(name)) {
            await db
              .transaction(async (tx) => {
                rows += await kind.purge(tx, { ...RETENTION_BOUNDS, maxBatches: 1 });
                throw new RollBack();
              })
              .catch((error: unknown) => {
                if (!(error instanceof RollBack)) throw error;
              });
            batches += 1;
          }
        }
        return { name, batches, rows };
      }),
    );
    for (const { name, batches, rows } of counts)
      console.log(
        `[purge-pressure] ${name}: ${batches} batches (${(batches / seconds).toFixed(1)}/s), ` +
          `${rows} rows deleted and rolled back (${(rows / seconds).toFixed(0)}/s)`,
      );
  } finally {
    await Promise.all(pools.map(({ pool }) => pool.end()));
  }
}

function kindsOf(service: string): ExpiringKind[] {
  return EXPIRING_KINDS.filter((kind) => TABLES_OF[service]!.includes(kind.table));
}

main().catch((error: unknown) => {
  console.error('[purge-pressure]', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
