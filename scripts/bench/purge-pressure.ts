// `tsx scripts/bench/purge-pressure.ts --seconds <s>`: the retention job at its worst, for measuring what
// it costs the hot path (docs/performance.md, "Retention"). Beside a running stack (the benchmark's own,
// on the configured ports; started with the benchmark, it waits for the migrated tables) each service's
// database gets a standing backlog of 100,000 rows of every kind it holds, and one loop per database
// runs the retention's DELETE batches on it back to back, as a job working off a backlog does for its
// whole budget. Each batch is rolled back rather than committed, so the backlog stands for the whole
// run: the reads, row locks and WAL of every DELETE, without the dead rows a committed one leaves for
// autovacuum (which the soak measures instead). Prints batches/s.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { PgDatabase } from '@oncepay/sql';
import { postgresUrl, stackConfig } from '../infra/stack-config';
import { RETENTION_BOUNDS } from '../../packages/service-runtime/src/retention-bounds';
import { EXPIRING_KINDS, type ExpiringKind } from './retention-rows';

const TABLES_OF: Record<string, readonly string[]> = {
  transfer: ['processed_messages', 'outbox_messages', 'idempotency_keys'],
  ledger: ['processed_messages', 'outbox_messages'],
  notification: ['processed_messages'],
};

const TWO_DAYS_LATER = new Date(Date.now() + 2 * 86_400_000);

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
      await untilMigrated(db, kindsOf(name));
      // Rows still inside the services' own windows, so their retention jobs leave them alone, purged
      // here as of two days later, when they have all expired: the backlog is this script's only.
      for (const kind of kindsOf(name)) await kind.seed(db, 0, backlog);
      console.log(
        `[purge-pressure] ${name}: a backlog of ${backlog} rows in each of ${TABLES_OF[name]!.join(', ')}`,
      );
    }
    let deadline = Date.now() + seconds * 1000;
    const started = Date.now();
    // SIGINT ends the run early (when the benchmark's phase is over), with the counts printed.
    process.on('SIGINT', () => (deadline = Date.now()));
    const counts = await Promise.all(
      pools.map(async ({ name, pool }) => {
        const db = new PgDatabase(pool);
        let batches = 0;
        let rows = 0;
        while (Date.now() < deadline) {
          for (const kind of kindsOf(name)) {
            await db
              .transaction(async (tx) => {
                rows += await kind.purge(tx, { ...RETENTION_BOUNDS, maxBatches: 1 }, TWO_DAYS_LATER);
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
    const elapsedS = (Date.now() - started) / 1000;
    console.log(
      `[purge-pressure] ran from ${new Date(started).toISOString()} to ${new Date().toISOString()}`,
    );
    for (const { name, batches, rows } of counts)
      console.log(
        `[purge-pressure] ${name}: ${batches} batches in ${elapsedS.toFixed(0)} s (${(batches / elapsedS).toFixed(1)}/s), ` +
          `${rows} rows deleted and rolled back (${(rows / elapsedS).toFixed(0)}/s)`,
      );
  } finally {
    await Promise.all(pools.map(({ pool }) => pool.end()));
  }
}

/** Started beside a benchmark that is still starting its stack: waits (bounded) for the migrated tables. */
async function untilMigrated(db: PgDatabase, kinds: ExpiringKind[]): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      for (const kind of kinds) await db.query(`SELECT 1 FROM ${kind.table} LIMIT 1`);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(1_000);
    }
  }
}

function kindsOf(service: string): ExpiringKind[] {
  return EXPIRING_KINDS.filter((kind) => TABLES_OF[service]!.includes(kind.table));
}

main().catch((error: unknown) => {
  console.error('[purge-pressure]', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
