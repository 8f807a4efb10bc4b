// `npm run bench -- --soak <duration>`: does retention keep up? Against services whose retention window
// is seconds (SOAK_RETENTION_SECONDS) and whose retention runs every few seconds, one steady open-loop
// rate runs for the whole duration while the bookkeeping tables (processed_messages of the three
// services, the transfer and ledger outboxes, the idempotency keys) are sampled, rows and bytes, with
// completed/s. Once the window has passed, writes and deletes balance and every series should be flat
// (soak-verdict.ts says how that is judged). Then everything settles and the auditor runs, as after
// the benchmark: retention must not have cost a transfer, an entry or a notification.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { setUpAccounts } from './accounts';
import {
  countAllDeadLetters,
  CURRENCY,
  FUNDING_MINOR,
  runAudit,
  transferSender,
  waitNotified,
  type BenchTarget,
} from './bench';
import { benchLedgerClient, benchTransferClient } from './http-client';
import { retentionEnv } from './options';
import { runOpenLoop } from './load';
import { table, type AuditSummary } from './report';
import { judgeSoak, steadyStartS, type SoakSeries, type SoakVerdict } from './soak-verdict';
import { TransferDb } from './transfer-db';

export interface SoakPlan {
  durationS: number;
  ratePerSecond: number;
  /** The services' retention window for all three kinds of rows (SOAK_RETENTION_SECONDS). */
  retentionWindowS: number;
  /** RETENTION_INTERVAL_MS of the services, in seconds. */
  retentionIntervalS: number;
  sampleEveryS: number;
  tolerance: number;
  accounts: number;
  settleTimeoutS: number;
}

/** The environment the soak's services run with. */
export function soakServiceEnv(plan: SoakPlan): Record<string, string> {
  return retentionEnv(plan);
}

type Database = keyof BenchTarget['databases'];

/** The tables retention keeps bounded, by database. */
export const SOAK_TABLES: readonly { database: Database; table: string }[] = [
  { database: 'transfer', table: 'processed_messages' },
  { database: 'ledger', table: 'processed_messages' },
  { database: 'notification', table: 'processed_messages' },
  { database: 'transfer', table: 'outbox_messages' },
  { database: 'ledger', table: 'outbox_messages' },
  { database: 'transfer', table: 'idempotency_keys' },
];

const tableName = ({ database, table: name }: { database: Database; table: string }): string =>
  `${database}.${name}`;

export interface SoakSample {
  /** Seconds since the load started. */
  atS: number;
  at: string;
  /** Transfers that became COMPLETED since the previous sample, per second. */
  completedPerSecond: number;
  /** By `database.table`. */
  rows: Record<string, number>;
  bytes: Record<string, number>;
}

export interface SoakReport {
  ok: boolean;
  problems: string[];
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  stack: { description: string; notes: string[] };
  plan: SoakPlan;
  serviceEnv: Record<string, string>;
  load: { requests: number; accepted: number; failures: Record<string, number> };
  samples: SoakSample[];
  /** Over the rows of each table and completed/s. */
  verdict: SoakVerdict;
  /** Over the bytes of each table (pg_total_relation_size: heap, indexes, TOAST). */
  sizeVerdict: SoakVerdict;
  audit: AuditSummary | null;
}

export async function runSoak(
  target: BenchTarget,
  plan: SoakPlan,
  log: (line: string) => void,
): Promise<SoakReport> {
  const startedAt = new Date();
  const loadAverageAtStart = os.loadavg();
  const problems: string[] = [];
  const deadLettersBefore = await countAllDeadLetters(target);
  const ledger = benchLedgerClient(target.ledgerUrl, target.client.apiKey, { maxSockets: 32 });
  const transfers = benchTransferClient(target.transferUrl, target.client.apiKey, { maxSockets: 256 });
  const db = await TransferDb.connect(target.databases.transfer);
  const clients = await connectAll(target.databases);
  const settleTimeoutMs = plan.settleTimeoutS * 1000;
  try {
    log(`opening and funding ${plan.accounts} accounts`);
    const accounts = await setUpAccounts(ledger.client, transfers.client, db, {
      count: plan.accounts,
      currency: CURRENCY,
      fundingMinor: FUNDING_MINOR,
      settleTimeoutMs,
    });
    log(
      `soak: ${plan.ratePerSecond}/s for ${plan.durationS} s, retention window ${plan.retentionWindowS} s ` +
        `every ${plan.retentionIntervalS} s, a sample every ${plan.sampleEveryS} s`,
    );
    const samples: SoakSample[] = [];
    const loadStart = Date.now();
    let loadDone = false;
    const load = runOpenLoop(transferSender(transfers.postTransfer, accounts.accounts), {
      ratePerSecond: plan.ratePerSecond,
      warmupMs: 0,
      durationMs: plan.durationS * 1000,
    }).finally(() => (loadDone = true));
    const sampling = (async () => {
      let previous = new Date(loadStart);
      for (let next = 1; !loadDone; next++) {
        await sleep(Math.max(0, loadStart + next * plan.sampleEveryS * 1000 - Date.now()));
        if (loadDone) break;
        const sample = await takeSample(clients, previous, loadStart);
        previous = new Date(sample.at);
        samples.push(sample);
        log(describeSample(sample));
      }
    })();
    const [loaded] = await Promise.all([load, sampling]);

    const verdict = judgeSoak(seriesOf(samples, 'rows'), {
      steadyFromS: steadyStartS(plan),
      tolerance: plan.tolerance,
    });
    const sizeVerdict = judgeSoak(seriesOf(samples, 'bytes'), {
      steadyFromS: steadyStartS(plan),
      tolerance: plan.tolerance,
    });
    if (verdict.outcome !== 'flat') problems.push(`rows and completed/s: ${verdict.outcome}`);
    if (sizeVerdict.outcome !== 'flat') problems.push(`table sizes: ${sizeVerdict.outcome}`);

    log(`waiting (at most ${plan.settleTimeoutS} s) for ${loaded.acceptedIds.length} transfers to settle`);
    const settled = await db.waitSettled([...accounts.fundingIds, ...loaded.acceptedIds], settleTimeoutMs);
    if (settled.unsettled > 0)
      problems.push(`${settled.unsettled} accepted transfers still PENDING after ${plan.settleTimeoutS} s`);
    log('waiting for the notifications, then auditing');
    await waitNotified(target.databases.notification, db, settleTimeoutMs);
    const audit = await runAudit(target, deadLettersBefore);
    if (!audit.ok) problems.push('the audit found broken invariants');

    const cpu = os.cpus();
    return {
      ok: problems.length === 0,
      problems,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model.trim() ?? 'unknown',
        loadAverageAtStart,
        loadAverageAtEnd: os.loadavg(),
      },
      stack: { description: target.description, notes: target.notes },
      plan,
      serviceEnv: soakServiceEnv(plan),
      load: {
        requests: loaded.windowRequests,
        accepted: loaded.windowIds.length,
        failures: loaded.failures,
      },
      samples,
      verdict,
      sizeVerdict,
      audit,
    };
  } finally {
    await Promise.all([ledger.close(), transfers.close()]);
    await db.close();
    await Promise.all(Object.values(clients).map((client) => client.end()));
  }
}

async function connectAll(databases: BenchTarget['databases']): Promise<Record<Database, Client>> {
  const entries = await Promise.all(
    (Object.keys(databases) as Database[]).map(async (name) => {
      const client = new Client({ connectionString: databases[name] });
      await client.connect();
      return [name, client] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<Database, Client>;
}

async function takeSample(
  clients: Record<Database, Client>,
  previous: Date,
  loadStart: number,
): Promise<SoakSample> {
  const at = new Date();
  const rows: Record<string, number> = {};
  const bytes: Record<string, number> = {};
  for (const spec of SOAK_TABLES) {
    // The names are this file's constants, never input.
    const { rows: result } = await clients[spec.database].query<{ n: number; bytes: string }>(
      `SELECT count(*)::int AS n, pg_total_relation_size('${spec.table}')::text AS bytes FROM ${spec.table}`,
    );
    rows[tableName(spec)] = result[0]!.n;
    bytes[tableName(spec)] = Number(result[0]!.bytes);
  }
  // updated_at of a COMPLETED transfer is when it completed (transfer-db.ts).
  const { rows: completed } = await clients.transfer.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM transfers WHERE status = 'COMPLETED' AND updated_at >= $1 AND updated_at < $2`,
    [previous, at],
  );
  const seconds = (at.getTime() - previous.getTime()) / 1000;
  return {
    atS: (at.getTime() - loadStart) / 1000,
    at: at.toISOString(),
    completedPerSecond: seconds > 0 ? completed[0]!.n / seconds : 0,
    rows,
    bytes,
  };
}

function seriesOf(samples: readonly SoakSample[], measure: 'rows' | 'bytes'): SoakSeries[] {
  const atS = samples.map((sample) => sample.atS);
  const tables = SOAK_TABLES.map((spec) => ({
    name: `${tableName(spec)} ${measure}`,
    atS,
    values: samples.map((sample) => sample[measure][tableName(spec)] ?? 0),
  }));
  if (measure === 'bytes') return tables;
  return [
    { name: 'completed/s', atS, values: samples.map((sample) => sample.completedPerSecond) },
    ...tables,
  ];
}

function describeSample(sample: SoakSample): string {
  const rows = SOAK_TABLES.map((spec) => `${tableName(spec)} ${sample.rows[tableName(spec)]}`).join(', ');
  return `t=${sample.atS.toFixed(0)} s: ${sample.completedPerSecond.toFixed(0)} completed/s; rows: ${rows}`;
}

export function renderSoakMarkdown(report: SoakReport): string {
  const { plan, verdict, sizeVerdict } = report;
  const short = (spec: (typeof SOAK_TABLES)[number]) =>
    `${spec.database.slice(0, 5)}.${spec.table.replace('_messages', '').replace('idempotency_', 'idem_')}`;
  const lines = [
    '# OncePay soak',
    '',
    `${report.startedAt} to ${report.finishedAt}: ${plan.ratePerSecond} transfers/s offered for ${plan.durationS} s ` +
      `(open loop) on ${report.stack.description}. Retention: window ${plan.retentionWindowS} s, run every ` +
      `${plan.retentionIntervalS} s (${Object.entries(report.serviceEnv)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ')}). Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, load average ` +
      `${report.machine.loadAverageAtStart.map((n) => n.toFixed(1)).join(' ')} at the start, ` +
      `${report.machine.loadAverageAtEnd.map((n) => n.toFixed(1)).join(' ')} at the end.`,
    '',
    `Requests: ${report.load.requests}, accepted ${report.load.accepted}` +
      (Object.keys(report.load.failures).length > 0
        ? `, failed: ${Object.entries(report.load.failures)
            .map(([label, n]) => `${n} ${label}`)
            .join(', ')}`
        : '') +
      '.',
    '',
    `## Verdict: rows ${verdict.outcome.toUpperCase()}, sizes ${sizeVerdict.outcome.toUpperCase()}`,
    '',
    `Judged from t ≥ ${verdict.steadyFromS} s (the window, two retention intervals and a sample interval): ` +
      `a series is flat when the median of the later half of those samples is within ` +
      `${(plan.tolerance * 100).toFixed(0)}% of the median of the earlier half (drift: the difference ` +
      'over the median of all of them).',
    '',
    ...table(
      ['series', 'samples', 'mean', 'min', 'max', 'drift', 'flat'],
      [...verdict.series, ...sizeVerdict.series].map((series) => [
        series.name,
        String(series.steadySamples),
        series.mean.toFixed(0),
        series.min.toFixed(0),
        series.max.toFixed(0),
        Number.isFinite(series.drift)
          ? `${(series.drift * 100).toFixed(1)}%`
          : `${series.drift > 0 ? '+' : '-'}∞`,
        series.flat ? 'yes' : 'NO',
      ]),
    ),
    '',
    '## Samples',
    '',
    'Rows (and MB, pg_total_relation_size) per table; completed/s since the previous sample.',
    '',
    ...table(
      ['t (s)', 'completed/s', ...SOAK_TABLES.map(short)],
      report.samples.map((sample) => [
        sample.atS.toFixed(0),
        sample.completedPerSecond.toFixed(0),
        ...SOAK_TABLES.map(
          (spec) =>
            `${sample.rows[tableName(spec)]} (${((sample.bytes[tableName(spec)] ?? 0) / 1024 ** 2).toFixed(1)})`,
        ),
      ]),
    ),
    '',
  ];
  if (report.problems.length > 0) lines.push(`Problems: ${report.problems.join('; ')}.`, '');
  lines.push('## Audit', '');
  if (!report.audit) lines.push('Not run.', '');
  else lines.push('```text', report.audit.text, '```', '');
  return lines.join('\n');
}

/** Writes soak.json and soak.md into `dir` (created); returns their paths. */
export async function writeSoakReport(
  dir: string,
  report: SoakReport,
): Promise<{ json: string; markdown: string }> {
  await fs.mkdir(dir, { recursive: true });
  const json = path.join(dir, 'soak.json');
  const markdown = path.join(dir, 'soak.md');
  await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(markdown, renderSoakMarkdown(report));
  return { json, markdown };
}
