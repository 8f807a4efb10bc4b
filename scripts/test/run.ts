// `npm test`: starts PostgreSQL and Kafka unless a local stack already runs, prepares one migrated
// template database per service, runs jest over every workspace, then stops what it started.
// Arguments are passed to jest (`npm test -- packages/messaging`).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { migrateDatabase } from '../db/migrate';
import { findRunningInfra, startLocalInfra, type LocalInfra } from '../infra/local-infra';
import { DATA_DIR, REPO_ROOT } from '../infra/paths';
import { quoteIdentifier } from '../infra/postgres';
import { SERVICES, templateDatabaseOf, testDatabasePrefixOf } from '../infra/services';

const TEST_STATE_DIR = path.join(DATA_DIR, 'test-run');
/** Short and lower-case: it ends up in database names. */
const RUN_ID = randomBytes(3).toString('hex');

async function main(): Promise<number> {
  const infra = await bringUpInfra();
  const stopInfra = once(() => infra.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopInfra().finally(() => process.exit(130)));
  }
  try {
    buildServices();
    await prepareTemplates(infra.postgresAdminUrl);
    return await runJest(infra, jestArgs(process.argv.slice(2)));
  } finally {
    // Matters when the run reused a running stack: leave its PostgreSQL as it was.
    await dropRunDatabases(infra.postgresAdminUrl).catch(() => undefined);
    await stopInfra();
  }
}

async function bringUpInfra(): Promise<LocalInfra> {
  const running = await findRunningInfra();
  if (running) {
    console.log('[test] reusing the PostgreSQL and Kafka already running');
    return running;
  }
  // A fresh state per run: nothing from an earlier run can make a test pass or fail.
  await fs.rm(TEST_STATE_DIR, { recursive: true, force: true });
  console.log('[test] starting PostgreSQL and Kafka');
  return startLocalInfra(TEST_STATE_DIR, (line) => console.log(`[test] ${line}`));
}

/** Cross-service tests run the built services as processes; turbo rebuilds only what changed. */
function buildServices(): void {
  const turbo = path.join(REPO_ROOT, 'node_modules', 'turbo', 'bin', 'turbo');
  execFileSync(process.execPath, [turbo, 'run', 'build', '--output-logs=errors-only'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
}

async function prepareTemplates(adminUrl: string): Promise<void> {
  for (const service of SERVICES) {
    await migrateDatabase(adminUrl, service.name, templateDatabaseOf(service.name, RUN_ID));
  }
}

/** This run's templates and whatever test databases its files did not drop (a crashed test, say). */
async function dropRunDatabases(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const result = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR starts_with(datname, $2)`,
      [testDatabasePrefixOf(RUN_ID), `oncepay_template_${RUN_ID}_`],
    );
    for (const { datname } of result.rows)
      await client.query(`DROP DATABASE ${quoteIdentifier(datname)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * `npm run chaos` passes `--chaos`: every scenario of test/chaos, or only the files named after it
 * (jest ORs path patterns, so adding test/chaos to a named file would run them all).
 */
function jestArgs(argv: string[]): string[] {
  if (argv[0] !== '--chaos') return argv;
  const rest = argv.slice(1);
  return rest.some((arg) => arg.startsWith('test/chaos/')) ? rest : ['test/chaos', ...rest];
}

function runJest(infra: LocalInfra, args: string[]): Promise<number> {
  const jestBin = path.join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const child = spawn(process.execPath, [jestBin, ...args], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      ONCEPAY_TEST_POSTGRES_URL: infra.postgresAdminUrl,
      ONCEPAY_TEST_KAFKA_BROKERS: infra.kafkaBrokers,
      ONCEPAY_TEST_RUN_ID: RUN_ID,
    },
  });
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      if (signal) console.error(`[test] jest was ended by ${signal}`);
      resolve(code ?? 1);
    }),
  );
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[test]', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
