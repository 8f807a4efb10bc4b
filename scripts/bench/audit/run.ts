// `npm run bench:audit`: how long the auditor takes and how much memory it needs as the tables grow.
// For each size it fills fresh, migrated databases with generated transfers (fill-databases.ts), runs
// the built auditor over them as a process of its own, the way an operator runs it, and prints its
// time and peak memory from the audit's own report. Memory that stays flat from the smallest size to
// the largest is the point: the auditor pages through the tables (apps/auditor/src/auditor.ts).
// Exit code: 0 when every audit said what it should (clean, or with --plant exactly the planted
// faults), 1 otherwise, 2 on a usage or start-up error.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditReport } from '../../../apps/auditor/src/auditor';
import { migrateDatabase } from '../../db/migrate';
import { urlAs } from '../../db/roles';
import { DATA_DIR, REPO_ROOT } from '../../infra/paths';
import { canConnect, dropDatabase, startPostgres } from '../../infra/postgres';
import { AUDITOR_ROLE, SERVICES } from '../../infra/services';
import { postgresUrl, stackConfig } from '../../infra/stack-config';
import { fillAuditDatabases, PLANTED_CHECKS, type AuditDatabaseUrls } from './fill-databases';

export const USAGE = `Usage: npm run bench:audit -- [options]

Fills fresh databases with generated, consistent transfers (by SQL), runs the auditor over them as a
separate process and prints its time and peak memory per size. Uses the PostgreSQL of a running stack
(ONCEPAY_POSTGRES_PORT) when one answers, in databases of its own (oncepay_audit_bench_*, dropped at the
end); otherwise starts one in .oncepay/audit-bench. Exit code: 0 every audit answered as expected, 1 one
did not, 2 usage or start-up error.

  --transfers <n,...>    sizes to audit, in transfers (default 100000,1000000)
  --page-size <n>        the auditor's --page-size (default: the auditor's own)
  --plant                plant one fault per database check; each audit must find each exactly once
  --max-old-space-mb <n> run the auditor with V8's old space capped at n MiB (--max-old-space-size):
                         an audit that needed more would crash, so a pass proves the bound
  --help                 print this help`;

/** Longer than any fill and audit here: what is PENDING in the generated data was accepted a moment ago. */
const PENDING_GRACE_MS = 3_600_000;
const BENCH_DIR = path.join(DATA_DIR, 'audit-bench');

interface Options {
  sizes: number[];
  pageSize: number | undefined;
  plant: boolean;
  maxOldSpaceMb: number | undefined;
}

interface Row {
  transfers: number;
  fillMs: number;
  report: AuditReport;
  exitCode: number | null;
  expected: boolean;
}

function parseOptions(argv: string[]): Options | 'help' | string {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        transfers: { type: 'string', default: '100000,1000000' },
        'page-size': { type: 'string' },
        plant: { type: 'boolean', default: false },
        'max-old-space-mb': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) return 'help';
    const sizes = values.transfers.split(',').map((size) => Number(size.trim()));
    if (sizes.length === 0 || sizes.some((size) => !Number.isSafeInteger(size) || size < 1))
      return `--transfers must be positive integers separated by commas, got "${values.transfers}"`;
    const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
    if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 1))
      return `--page-size must be a positive integer, got "${values['page-size']}"`;
    const maxOldSpaceMb =
      values['max-old-space-mb'] === undefined ? undefined : Number(values['max-old-space-mb']);
    if (maxOldSpaceMb !== undefined && (!Number.isSafeInteger(maxOldSpaceMb) || maxOldSpaceMb < 16))
      return `--max-old-space-mb must be an integer of at least 16, got "${values['max-old-space-mb']}"`;
    return { sizes, pageSize, plant: values.plant, maxOldSpaceMb };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function log(line: string): void {
  console.log(`[bench:audit] ${line}`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (typeof options === 'string') {
    console.error(`[bench:audit] ${options}\n\n${USAGE}`);
    return 2;
  }
  buildAuditor();
  const adminUrl = postgresUrl('postgres');
  let stopPostgres = async (): Promise<void> => undefined;
  if (await canConnect(adminUrl)) log(`using the PostgreSQL on port ${stackConfig.postgres.port}`);
  else {
    await fs.rm(BENCH_DIR, { recursive: true, force: true });
    const postgres = await startPostgres({
      dataDir: path.join(BENCH_DIR, 'postgres'),
      logFile: path.join(BENCH_DIR, 'logs', 'postgres.log'),
      ...stackConfig.postgres,
    });
    stopPostgres = () => postgres.stop();
    log(`started PostgreSQL on port ${stackConfig.postgres.port} (data in ${BENCH_DIR})`);
  }
  const databases = SERVICES.map((service) => ({ service, name: `oncepay_audit_bench_${service.name}` }));
  try {
    const rows: Row[] = [];
    for (const transfers of options.sizes) {
      for (const { service, name } of databases) {
        await dropDatabase(adminUrl, name);
        await migrateDatabase(adminUrl, service.name, name);
      }
      const urlOf = (service: keyof AuditDatabaseUrls, role?: string): string => {
        const url = new URL(adminUrl);
        url.pathname = `/oncepay_audit_bench_${service}`;
        return role ? urlAs(url.toString(), role, stackConfig.postgres.rolePassword) : url.toString();
      };
      log(`filling ${transfers} transfers${options.plant ? ' and the planted faults' : ''}`);
      const fillStartedMs = performance.now();
      await fillAuditDatabases(
        { transfer: urlOf('transfer'), ledger: urlOf('ledger'), notification: urlOf('notification') },
        { transfers, plant: options.plant },
      );
      const fillMs = performance.now() - fillStartedMs;
      log(`filled in ${(fillMs / 1000).toFixed(1)} s; auditing`);
      const nodeFlags =
        options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`];
      const { report, exitCode } = await runAuditor(nodeFlags, [
        `--transfer-db=${urlOf('transfer', AUDITOR_ROLE)}`,
        `--ledger-db=${urlOf('ledger', AUDITOR_ROLE)}`,
        `--notification-db=${urlOf('notification', AUDITOR_ROLE)}`,
        '--no-kafka',
        '--json',
        `--pending-grace-ms=${PENDING_GRACE_MS}`,
        ...(options.pageSize === undefined ? [] : [`--page-size=${options.pageSize}`]),
      ]);
      const expected = options.plant ? foundEachPlantOnce(report) && exitCode === 1 : exitCode === 0;
      rows.push({ transfers, fillMs, report, exitCode, expected });
      log(`audited ${transfers} transfers: ${describe(rows.at(-1)!)}`);
    }
    console.log(`\n${renderTable(rows, options.plant)}`);
    if (options.maxOldSpaceMb !== undefined)
      console.log(`\nThe auditor ran with --max-old-space-size=${options.maxOldSpaceMb}.`);
    return rows.every((row) => row.expected) ? 0 : 1;
  } finally {
    for (const { name } of databases) await dropDatabase(adminUrl, name).catch(() => undefined);
    await stopPostgres();
  }
}

/** Each planted fault found exactly once, by the check meant for it, and nothing else found. */
function foundEachPlantOnce(report: AuditReport): boolean {
  return report.checks.every((check) =>
    PLANTED_CHECKS.includes(check.name) ? check.violationCount === 1 : check.violationCount === 0,
  );
}

function buildAuditor(): void {
  const turbo = path.join(REPO_ROOT, 'node_modules', 'turbo', 'bin', 'turbo');
  execFileSync(
    process.execPath,
    [turbo, 'run', 'build', '--filter=@oncepay/auditor', '--output-logs=errors-only'],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
}

/** The auditor as its own process (`npm run audit` runs the same file), its JSON report and exit code. */
function runAuditor(
  nodeFlags: string[],
  args: string[],
): Promise<{ report: AuditReport; exitCode: number | null }> {
  const main = path.join(REPO_ROOT, 'apps', 'auditor', 'dist', 'main.js');
  const child = spawn(process.execPath, [...nodeFlags, main, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      try {
        resolve({ report: JSON.parse(stdout) as AuditReport, exitCode });
      } catch {
        reject(new Error(`the auditor exited ${String(exitCode)} without a JSON report:\n${stdout}`));
      }
    });
  });
}

const MIB = 1024 * 1024;

function describe(row: Row): string {
  const { elapsedMs, cpuMs, maxRssBytes, peakHeapUsedBytes } = row.report.resources;
  const failing = row.report.checks
    .filter((check) => !check.ok)
    .map((c) => `${c.name} (${c.violationCount})`);
  return (
    `${(elapsedMs / 1000).toFixed(1)} s (${(cpuMs / 1000).toFixed(1)} s of CPU), peak RSS ${(maxRssBytes / MIB).toFixed(1)} MiB, ` +
    `peak heap ${(peakHeapUsedBytes / MIB).toFixed(1)} MiB, exit ${String(row.exitCode)}` +
    (failing.length > 0 ? `, failing: ${failing.join(', ')}` : '') +
    (row.expected ? '' : ' (NOT AS EXPECTED)')
  );
}

function renderTable(rows: Row[], plant: boolean): string {
  const lines = [
    '| transfers | journal entries | decisions | holds | notifications | fill | audit | audit CPU | rows/CPU s | peak RSS | peak heap | page size | verdict |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |',
  ];
  for (const { transfers, fillMs, report, exitCode, expected } of rows) {
    const { elapsedMs, cpuMs, maxRssBytes, peakHeapUsedBytes, pageSize } = report.resources;
    const { journalEntries, decisions, holds, notifications } = report.counts;
    const rowsRead = transfers + journalEntries + decisions + holds + notifications;
    const verdict = plant
      ? `${expected ? 'found each planted fault once' : 'MISSED OR EXTRA'} (exit ${String(exitCode)})`
      : `${report.ok ? 'clean' : 'VIOLATIONS'} (exit ${String(exitCode)})`;
    lines.push(
      `| ${transfers} | ${journalEntries} | ${decisions} | ${holds} | ${notifications} | ${(fillMs / 1000).toFixed(1)} s | ` +
        `${(elapsedMs / 1000).toFixed(1)} s | ${(cpuMs / 1000).toFixed(1)} s | ${Math.round(rowsRead / (cpuMs / 1000))} | ` +
        `${(maxRssBytes / MIB).toFixed(1)} MiB | ${(peakHeapUsedBytes / MIB).toFixed(1)} MiB | ${pageSize} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench:audit] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  },
);
