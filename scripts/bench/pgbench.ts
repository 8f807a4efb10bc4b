// The baseline: how many single-row UPDATE transactions per second this PostgreSQL commits, measured by
// pgbench on a scratch database of the same server, before (never during) OncePay's load. A transfer
// costs several such transactions (accept, post, record, notify, each with its outbox or dedup rows), so
// OncePay's completed transfers/s divided by this number says how much of the database's raw commit
// rate it turns into transfers.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { quoteIdentifier } from '../infra/postgres';

export interface PgbenchOptions {
  /** Path or name (looked up on PATH) of the pgbench binary. */
  binary: string;
  clients: number;
  threads: number;
  durationS: number;
  /** pgbench -i scale: 100,000 rows of pgbench_accounts per unit. */
  scale: number;
}

export type PgbenchBaseline =
  | {
      available: true;
      tps: number;
      latencyAverageMs: number | null;
      transactions: number | null;
      options: PgbenchOptions;
      /** The transaction pgbench ran, as written in its script file. */
      script: string;
      version: string;
    }
  | { available: false; reason: string; options: PgbenchOptions };

export function pgbenchScript(scale: number): string {
  return [
    `\\set aid random(1, ${100_000 * scale})`,
    '\\set delta random(-5000, 5000)',
    'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;',
    '',
  ].join('\n');
}

/** The numbers of pgbench's summary; throws when there is no tps line (the run did not measure). */
export function parsePgbenchOutput(output: string): {
  tps: number;
  latencyAverageMs: number | null;
  transactions: number | null;
} {
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(output)?.[1];
  if (tps === undefined) throw new Error(`pgbench printed no tps line:\n${output.slice(-500)}`);
  const latency = /^latency average = ([\d.]+) ms/m.exec(output)?.[1];
  const transactions = /^number of transactions actually processed: (\d+)/m.exec(output)?.[1];
  return {
    tps: Number(tps),
    latencyAverageMs: latency === undefined ? null : Number(latency),
    transactions: transactions === undefined ? null : Number(transactions),
  };
}

export async function runPgbenchBaseline(
  adminUrl: string,
  options: PgbenchOptions,
  log: (line: string) => void,
): Promise<PgbenchBaseline> {
  let version: string;
  try {
    version = (await run(options.binary, ['--version'], {})).stdout.trim();
  } catch (error) {
    return {
      available: false,
      reason: `${options.binary} could not be run (${(error as Error).message.split('\n')[0]}); install PostgreSQL's client tools (Debian: postgresql-client) or pass --pgbench <path>`,
      options,
    };
  }
  const database = `oncepay_bench_pgbench_${randomBytes(4).toString('hex')}`;
  const url = new URL(adminUrl);
  const env = {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
  };
  const scriptDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-pgbench-'));
  const scriptFile = path.join(scriptDir, 'single-row-update.sql');
  const script = pgbenchScript(options.scale);
  await fs.writeFile(scriptFile, script);
  await admin(adminUrl, `CREATE DATABASE ${quoteIdentifier(database)}`);
  try {
    log(`pgbench: initialising ${database} (scale ${options.scale})`);
    await run(options.binary, ['-i', '-q', '-s', String(options.scale), database], env);
    log(
      `pgbench: ${options.clients} clients, ${options.threads} threads, ${options.durationS} s of single-row UPDATEs`,
    );
    const { stdout } = await run(
      options.binary,
      [
        '-n',
        '-c',
        String(options.clients),
        '-j',
        String(options.threads),
        '-T',
        String(options.durationS),
        '-f',
        scriptFile,
        database,
      ],
      env,
    );
    return { available: true, ...parsePgbenchOutput(stdout), options, script, version };
  } finally {
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
    await fs.rm(scriptDir, { recursive: true, force: true });
  }
}

function run(
  binary: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

async function admin(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
