// The benchmark's result: one JSON document (bench.json, for tools and for comparing runs) and its
// Markdown rendering (bench.md, what docs/performance.md quotes; also what the console prints).
import fs from 'node:fs/promises';
import path from 'node:path';
import { CODE_GROUPS, type CpuShare, type ServiceCpuProfile } from './cpu-profile';
import type { UnitCosts } from './cost';
import type { CounterDelta } from './db-counters';
import type { KafkaDelta } from './kafka-counters';
import type { PgbenchBaseline, PgbenchOptions } from './pgbench';
import type { PrefillPlan, PrefillReport } from './prefill';
import type { ProcessUsage } from './process-sampler';
import type { LatencySummary } from './stats';
import type { TargetResult } from './targets';
import type { Settlement } from './transfer-db';

export interface BenchPlan {
  /** Length of each phase's measured window, and of the warm-up before it. */
  durationS: number;
  warmupS: number;
  /** Closed-loop workers; 0 skips the closed loop. */
  concurrency: number;
  /** Offered rates of the open-loop phases, transfers per second. */
  ratesPerSecond: number[];
  accounts: number;
  /** How long to wait, after each phase, for its transfers to settle. */
  settleTimeoutS: number;
  /** Null skips the baseline. */
  pgbench: PgbenchOptions | null;
  /** Connections the load generator may open to the transfer-service. */
  maxSockets: number;
  /** History written into the tables of a stack of its own before its services start; null for none. */
  prefill: PrefillPlan | null;
}

export interface PhaseResult {
  name: string;
  mode: 'closed' | 'open';
  concurrency: number | null;
  offeredPerSecond: number | null;
  warmupS: number;
  durationS: number;
  window: { from: string; to: string };
  /** Requests sent (closed) or due (open) inside the window. */
  requests: number;
  /** Of those, answered 202. */
  accepted: number;
  /** Of those, not answered 202 (an HTTP error, a reset, a timeout), and how. */
  errors: number;
  failures: Record<string, number>;
  /** 202 answers received in the window, per second. */
  acceptedPerSecond: number;
  /** Transfers of this phase that became COMPLETED in the window, per second (the servers' clock). */
  completedPerSecond: number;
  /** Transfers of this phase that became COMPLETED in the window: the divisor of CPU per transfer. */
  completedInWindow: number;
  /** The same, second by second. */
  completedEachSecond: number[];
  acceptLatencyMs: LatencySummary;
  /** updated_at - created_at of the window's transfers that COMPLETED. */
  acceptToCompletedMs: LatencySummary;
  /** Open loop only: how late requests left the load generator after they were due. */
  sendLagMs: LatencySummary | null;
  /** How the window's accepted transfers ended, after the settle wait. */
  outcomes: Settlement;
  /** CPU and peak memory over the window. */
  processes: ProcessUsage[];
  /** What the phase wrote, and its cost per completed transfer. */
  cost: PhaseCost;
}

/**
 * Writes over the whole phase (from a reading on a quiet server before it to one after it settled and
 * was notified), and the phase's cost per completed transfer (cost.ts says which divisor is whose).
 */
export interface PhaseCost {
  /** The phase's transfers (warm-up, window and after) that COMPLETED: the divisor of the writes. */
  completedInPhase: number;
  database: CounterDelta;
  kafka: KafkaDelta;
  perTransfer: UnitCosts;
}

export interface AuditSummary {
  ok: boolean;
  /** The auditor's own text report. */
  text: string;
  checks: { name: string; ok: boolean; skipped: boolean; summary: string; violationCount: number }[];
  /** Dead letters that existed before the run; only more than these is a violation. */
  deadLettersBefore: number | null;
}

export interface BenchReport {
  /** True when the audit is clean and nothing broke; the targets are reported, not part of this. */
  ok: boolean;
  problems: string[];
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    kernel: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  stack: { description: string; notes: string[] };
  plan: BenchPlan;
  /** What --prefill wrote and how big the tables were before the load; null without it. */
  prefill: PrefillReport | null;
  setup: { accounts: number; fundedMinorEach: string; seconds: number };
  baseline: PgbenchBaseline | null;
  /** Closed-loop completed/s over pgbench's tps; null without either. */
  completedPerBaselineTps: number | null;
  phases: PhaseResult[];
  /** CPU and peak memory from the first phase's start to the last one's settling. */
  wholeRun: ProcessUsage[];
  audit: AuditSummary | null;
  targets: TargetResult[];
  /** With --cpu-profile: where each service's CPU went; null without it. */
  cpuProfiles: ServiceCpuProfile[] | null;
}

const MB = 1024 * 1024;

export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const { machine, plan } = report;
  lines.push(`# OncePay benchmark, ${report.startedAt}`, '');
  lines.push(`Result: ${report.ok ? 'OK (audit clean)' : `FAILED: ${report.problems.join('; ')}`}`, '');
  lines.push(
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb.toFixed(1)} GB, Node ${machine.node}, ` +
      `Linux ${machine.kernel}; load average ${machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')} ` +
      `at the start, ${machine.loadAverageAtEnd.map((n) => n.toFixed(2)).join(' ')} at the end`,
    `- Stack: ${report.stack.description}`,
    ...report.stack.notes.map((note) => `  - ${note}`),
    `- Plan: each phase ${plan.warmupS} s warm-up then ${plan.durationS} s measured; closed loop with ` +
      `${plan.concurrency} workers; open loop at ${plan.ratesPerSecond.join(', ') || 'no'} transfers/s offered; ` +
      `${report.setup.accounts} accounts (funded ${report.setup.fundedMinorEach} minor units each, set up in ` +
      `${report.setup.seconds.toFixed(1)} s), transfers of 1 to 100 minor units between random pairs`,
    '',
  );

  if (report.prefill) lines.push(...renderPrefill(report.prefill));

  lines.push('## Targets', '');
  lines.push(
    ...table(
      ['target', 'measured', 'result', 'note'],
      report.targets.map((target) => [target.description, target.measured, target.status, target.note ?? '']),
    ),
    '',
  );

  lines.push('## Throughput and latency', '');
  lines.push(
    ...table(
      [
        'phase',
        'requests',
        'accepted/s',
        'completed/s',
        'errors',
        'accept ms p50 / p95 / p99',
        'accept→COMPLETED ms p50 / p95 / p99',
        'FAILED',
        'unsettled',
      ],
      report.phases.map((phase) => [
        phase.name,
        String(phase.requests),
        phase.acceptedPerSecond.toFixed(0),
        phase.completedPerSecond.toFixed(0),
        phase.errors === 0 ? '0' : `${phase.errors} (${describeFailures(phase.failures)})`,
        triple(phase.acceptLatencyMs),
        triple(phase.acceptToCompletedMs),
        String(phase.outcomes.failed),
        String(phase.outcomes.unsettled),
      ]),
    ),
    '',
  );
  const lagging = report.phases.filter((phase) => phase.sendLagMs !== null);
  if (lagging.length > 0) {
    lines.push(
      'Open-loop latencies are measured from the time each request was due. How late the load generator ' +
        'sent them (p99): ' +
        lagging.map((phase) => `${phase.name} ${fmt(phase.sendLagMs?.p99 ?? null)} ms`).join(', ') +
        '.',
      '',
    );
  }
  const closed = report.phases.find((phase) => phase.mode === 'closed');
  if (closed && closed.completedEachSecond.length > 0) {
    const sorted = [...closed.completedEachSecond].sort((a, b) => a - b);
    lines.push(
      `Closed loop, completions per second of the window: slowest ${sorted[0]}, median ` +
        `${sorted[Math.floor(sorted.length / 2)]}, fastest ${sorted[sorted.length - 1]}.`,
      '',
    );
  }

  lines.push('## Baseline: pgbench on the same PostgreSQL', '');
  const baseline = report.baseline;
  if (!baseline) lines.push('Not run (--no-pgbench).', '');
  else if (!baseline.available) lines.push(`Not available: ${baseline.reason}`, '');
  else {
    const o = baseline.options;
    lines.push(
      `${baseline.tps.toFixed(0)} single-row UPDATE transactions/s (pgbench -c ${o.clients} -j ${o.threads} ` +
        `-T ${o.durationS}, scale ${o.scale}, average latency ${fmt(baseline.latencyAverageMs)} ms; ${baseline.version}).`,
      report.completedPerBaselineTps === null
        ? ''
        : `OncePay completed ${closed?.completedPerSecond.toFixed(0) ?? '-'} transfers/s in the closed loop: ` +
            `${report.completedPerBaselineTps.toFixed(3)} transfers per pgbench transaction.`,
      '',
    );
  }

  lines.push('## Processes', '');
  lines.push(
    'CPU seconds over each measured window (in cores: 1.00 is one core busy all the time); peak RSS over the ' +
      'whole run, sampled every 250 ms. PostgreSQL counts the postmaster and all its backends: their RSS ' +
      'summed counts its shared memory once per process, the last column counts it once (private memory ' +
      'summed, plus the largest shared and file-backed memory of any one of them).',
    '',
  );
  const names = report.wholeRun.map((usage) => usage.name);
  lines.push(
    ...table(
      [
        'process',
        ...report.phases.map((phase) => `${phase.name}: CPU s (cores)`),
        'peak RSS MB',
        'peak MB, shared counted once',
      ],
      names.map((name) => {
        const whole = report.wholeRun.find((usage) => usage.name === name);
        return [
          `${name} (pid ${whole?.pid ?? '?'})`,
          ...report.phases.map((phase) => {
            const usage = phase.processes.find((candidate) => candidate.name === name);
            return usage ? `${usage.cpuSeconds.toFixed(1)} (${usage.cores.toFixed(2)})` : '-';
          }),
          whole && whole.samples > 0 ? (whole.peakRssBytes / MB).toFixed(0) : '-',
          whole?.peakGroupMemoryBytes ? (whole.peakGroupMemoryBytes / MB).toFixed(0) : '',
        ];
      }),
    ),
    '',
  );

  lines.push(...renderCost(report), '');

  if (report.cpuProfiles) lines.push(...renderCpuProfiles(report.cpuProfiles));

  lines.push('## Audit', '');
  if (!report.audit) lines.push('Not run: the benchmark stopped before it.', '');
  else lines.push('```text', report.audit.text, '```', '');
  return lines.join('\n');
}

/** The cost per completed transfer: one column per phase. */
export function renderCost(report: Pick<BenchReport, 'phases'>): string[] {
  const phases = report.phases;
  if (phases.length === 0) return [];
  const lines: string[] = ['## Cost per completed transfer', ''];
  const processNames = unique(phases.flatMap((phase) => phase.processes.map((usage) => usage.name)));
  const databaseNames = unique(phases.flatMap((phase) => Object.keys(phase.cost.database.databases)));
  const row = (label: string, cell: (phase: PhaseResult) => string): string[] => [label, ...phases.map(cell)];
  const per = (phase: PhaseResult) => phase.cost.perTransfer;
  const rows: string[][] = [
    row(
      'completed: in the window / in the phase',
      (p) => `${p.completedInWindow} / ${p.cost.completedInPhase}`,
    ),
    ...processNames.map((name) => row(`CPU ms, ${name}`, (p) => num(per(p).cpuMsByProcess[name], 3))),
    row('CPU ms, total', (p) => num(per(p).cpuMsTotal, 3)),
    ...databaseNames.map((name) =>
      row(`rows written, ${name} (inserted / updated / deleted)`, (p) => {
        const rows = per(p).rowsByDatabase[name];
        return rows
          ? `${rows.written.toFixed(2)} (${rows.inserted.toFixed(2)} / ${rows.updated.toFixed(2)} / ${rows.deleted.toFixed(2)})`
          : '-';
      }),
    ),
    row('rows written, total', (p) => num(per(p).rowsTotal, 2)),
    row('WAL KB (the whole server)', (p) => num(kb(per(p).walBytes), 2)),
    row('WAL records', (p) => num(per(p).walRecords, 1)),
    row('Kafka messages', (p) => num(per(p).messages, 2)),
    row('Kafka KB (log segments)', (p) =>
      p.cost.kafka.bytes === null ? 'not measured' : num(kb(per(p).kafkaBytes), 2),
    ),
  ];
  lines.push(...table(['per completed transfer', ...phases.map((phase) => phase.name)], rows), '');
  lines.push(
    "CPU is each process's CPU over the measured window divided by the transfers that COMPLETED in it. " +
      'Rows, WAL and Kafka come from cumulative counters read on a quiet server (after QUIET_MS) before ' +
      'the phase and after its transfers settled and were notified: they cover the whole phase (warm-up, ' +
      'window, settling) and are divided by every transfer of the phase that COMPLETED, so a FAILED or ' +
      'refused one adds its cost to theirs. WAL is one for the whole server (the three databases ' +
      "together). Kafka messages are the growth of every topic's end offsets, __consumer_offsets (the " +
      "consumers' offset commits) included; Kafka bytes are the growth of the partitions' log segments " +
      'on disk, measured only on a stack the benchmark started.',
    '',
  );
  for (const phase of phases) {
    const topics = Object.entries(phase.cost.kafka.messagesByTopic).sort(([a], [b]) => a.localeCompare(b));
    const divisor = phase.cost.completedInPhase;
    lines.push(
      `- ${phase.name}, Kafka messages per completed transfer by topic: ` +
        (topics.length === 0 || divisor === 0
          ? 'none'
          : topics.map(([topic, n]) => `${topic} ${(n / divisor).toFixed(2)}`).join(', ')),
    );
  }
  const notMeasured = phases.find((phase) => phase.cost.kafka.bytesNote !== null);
  if (notMeasured) lines.push(`- Kafka bytes: ${notMeasured.cost.kafka.bytesNote}`);
  return lines;
}

/** --cpu-profile's section: per service, where its busy time went. */
export function renderCpuProfiles(profiles: readonly ServiceCpuProfile[]): string[] {
  const lines = ['## CPU profiles', ''];
  lines.push(
    "Each service's whole life under V8's sampling profiler (start-up, every phase, the settling): each " +
      'sample is charged to the function it was in, not to its callers. `(native)` is C++ called from ' +
      'JavaScript (socket writes, hashing, buffers), `(program)` V8 itself. The profiler costs CPU of its ' +
      'own: compare a run with it against another run with it, not against the numbers above.',
    '',
  );
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const profiled = profiles.filter((profile) => profile.summary !== null);
  if (profiled.length > 0) {
    // The groups side by side: where each service's busy time goes, in the words of docs/performance.md.
    const groupRows = CODE_GROUPS.map((group) => [
      group,
      ...profiled.map(({ summary }) =>
        percent(summary!.byGroup.find((entry) => entry.name === group)!.share),
      ),
    ]);
    lines.push(
      ...table(['share of busy time', ...profiled.map((profile) => profile.service)], groupRows),
      '',
    );
  }
  const rows = (shares: CpuShare[]) =>
    shares.map((entry) => [percent(entry.share), entry.ms.toFixed(0), entry.name]);
  for (const { service, file, summary } of profiles) {
    lines.push(`### ${service}`, '');
    if (!file || !summary) {
      lines.push('No profile was written: the service did not exit normally.', '');
      continue;
    }
    lines.push(
      `Busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s; the profile: ${file}`,
      '',
      ...table(['share of busy', 'ms', 'code'], rows(summary.byPackage)),
      '',
      ...table(['share of busy', 'ms', 'function (self time)'], rows(summary.byFunction)),
      '',
    );
  }
  return lines;
}

/** Writes bench.json and bench.md into `dir` (created); returns their paths. */
export async function writeReport(
  dir: string,
  report: BenchReport,
): Promise<{ json: string; markdown: string }> {
  await fs.mkdir(dir, { recursive: true });
  const json = path.join(dir, 'bench.json');
  const markdown = path.join(dir, 'bench.md');
  await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(markdown, renderMarkdown(report));
  return { json, markdown };
}

/** A Markdown table with padded columns, readable as plain text on a console too. */
export function table(headers: string[], unescaped: string[][]): string[] {
  const rows = unescaped.map((row) => row.map((cell) => cell.replace(/\|/g, '\\|')));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `| ${widths.map((width, i) => (cells[i] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(headers), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function num(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined ? '-' : value.toFixed(digits);
}

function kb(bytes: number | null): number | null {
  return bytes === null ? null : bytes / 1024;
}

function triple(summary: LatencySummary): string {
  return `${fmt(summary.p50)} / ${fmt(summary.p95)} / ${fmt(summary.p99)}`;
}

function fmt(value: number | null): string {
  if (value === null) return '-';
  return value < 10 ? value.toFixed(1) : value.toFixed(0);
}

function describeFailures(failures: Record<string, number>): string {
  return Object.entries(failures)
    .sort(([, a], [, b]) => b - a)
    .map(([label, count]) => `${count} ${label}`)
    .join(', ');
}

/** The history the tables held before the load: what was written, how long it took, the sizes. */
export function renderPrefill(prefill: PrefillReport): string[] {
  const hours = (seconds: number) => `${+(seconds / 3600).toFixed(2)} h`;
  return [
    '## History before the load (--prefill)',
    '',
    `${prefill.transfers} settled transfers (and their refunds) spread over ${prefill.historyDays} days, written by SQL ` +
      `in ${prefill.fillSeconds.toFixed(1)} s before the services started, then VACUUM ANALYZE of the three ` +
      `databases in ${prefill.vacuumSeconds.toFixed(1)} s. The tables retention bounds hold the rows of the ` +
      `transfers inside the services' windows (processed messages ${hours(prefill.windows.processedMessagesS)}, ` +
      `SENT outbox rows ${hours(prefill.windows.outboxSentS)}, idempotency keys ` +
      `${hours(prefill.windows.idempotencyKeysS)}), the older ones purged. The tables before the load:`,
    '',
    ...table(
      ['database', 'table', 'rows', 'MB'],
      prefill.tables.map((size) => [
        size.database,
        size.table,
        String(size.rows),
        (size.bytes / MB).toFixed(1),
      ]),
    ),
    '',
  ];
}
