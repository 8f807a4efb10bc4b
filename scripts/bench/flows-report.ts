// The flows benchmark's result (`npm run bench -- --flows`, flows.ts runs it): what one-step transfers and
// hold-then-capture flows each cost at the same offered load, per completed flow, side by side with
// their ratio. Written as flows.json (everything) and flows.md (the table; also what the console prints).
import fs from 'node:fs/promises';
import path from 'node:path';
import { unitCosts, type UnitCosts } from './cost';
import type { CounterDelta } from './db-counters';
import type { ProcessUsage } from './process-sampler';
import { table, type AuditSummary } from './report';
import type { LatencySummary } from './stats';
import type { Settlement } from './transfer-db';

export interface FlowsPlan {
  /** Flows offered per second, the same in both phases (open loop). */
  ratePerSecond: number;
  warmupS: number;
  durationS: number;
  accounts: number;
  settleTimeoutS: number;
  /** How often the load generator asks the transfer database which holds are HELD (one query for all). */
  pollIntervalMs: number;
}

export type FlowKind = 'one-step' | 'hold-and-capture';

export interface FlowPhaseResult {
  flow: FlowKind;
  window: { from: string; to: string };
  /** Flows due inside the measured window, and of those, the ones whose first request was answered 202. */
  flows: number;
  accepted: number;
  /** Requests of the window's flows not answered 202 (or holds never seen HELD), by label. */
  failures: Record<string, number>;
  /** Flows of this phase that reached their final status (COMPLETED, CAPTURED) inside the window, per s. */
  completedPerSecond: number;
  /** The same count: the divisor of the CPU per flow. */
  completedInWindow: number;
  /** Each request of a flow, accept latency (from due, for the first; from HELD seen, for a capture). */
  requests: { name: string; acceptMs: LatencySummary }[];
  /** From the first request's due time to the final status (the server's updated_at), per flow. */
  requestToFinalMs: LatencySummary;
  /** Holds only: HELD (the server's updated_at) to the capture request leaving: the poll's share. */
  heldToCaptureMs: LatencySummary | null;
  /** How the window's accepted flows ended, after the settle wait. */
  outcomes: Settlement;
  /** CPU over the measured window. */
  processes: ProcessUsage[];
  /**
   * Whole phase (warm-up to settled and notified): flows that reached their final status, and what they
   * wrote: rows and WAL (db-counters.ts), outbox rows (Kafka messages) by topic.
   */
  phaseFlows: number;
  database: CounterDelta;
  messagesByTopic: Record<string, number>;
  /** Holds only: the load generator's polling for HELD over the whole phase. */
  polling: { queries: number; queryMs: number } | null;
}

export interface FlowsReport {
  ok: boolean;
  problems: string[];
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  stack: { description: string; notes: string[] };
  plan: FlowsPlan;
  phases: FlowPhaseResult[];
  audit: AuditSummary | null;
}

/** What one completed flow costs, from one phase's measurements; null where nothing completed. */
export type FlowCosts = Omit<UnitCosts, 'rowsByDatabase'> & { rowsByDatabase: Record<string, number | null> };

export function flowCosts(phase: FlowPhaseResult): FlowCosts {
  const costs = unitCosts({
    processes: phase.processes,
    completedInWindow: phase.completedInWindow,
    completedInPhase: phase.phaseFlows,
    database: phase.database,
    messages: sum(Object.values(phase.messagesByTopic)),
    kafkaBytes: null,
  });
  const rowsByDatabase: Record<string, number | null> = {};
  for (const [name, rows] of Object.entries(costs.rowsByDatabase))
    rowsByDatabase[name] = rows?.written ?? null;
  return { ...costs, rowsByDatabase };
}

/** hold-and-capture over one-step; null when either is missing or the one-step value is 0. */
export function ratio(holdAndCapture: number | null, oneStep: number | null): number | null {
  if (holdAndCapture === null || oneStep === null || oneStep === 0) return null;
  return holdAndCapture / oneStep;
}

export function renderFlowsMarkdown(report: FlowsReport): string {
  const { plan, machine } = report;
  const lines: string[] = [];
  lines.push(`# OncePay flows benchmark, ${report.startedAt}`, '');
  lines.push(`Result: ${report.ok ? 'OK (audit clean)' : `FAILED: ${report.problems.join('; ')}`}`, '');
  lines.push(
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}); load average ` +
      `${machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')} at the start, ` +
      `${machine.loadAverageAtEnd.map((n) => n.toFixed(2)).join(' ')} at the end`,
    `- Stack: ${report.stack.description}`,
    ...report.stack.notes.map((note) => `  - ${note}`),
    `- Plan: ${plan.ratePerSecond} flows/s offered (open loop) in each phase, ${plan.warmupS} s warm-up then ` +
      `${plan.durationS} s measured; ${plan.accounts} accounts; 1 to 100 minor units between random pairs; ` +
      `a hold is captured whole as soon as the load generator sees it HELD (it asks every ` +
      `${plan.pollIntervalMs} ms, one query for all holds waiting)`,
    '',
  );
  const [oneStep, hold] = (['one-step', 'hold-and-capture'] as const).map((flow) =>
    report.phases.find((phase) => phase.flow === flow),
  );
  if (!oneStep || !hold) {
    lines.push(
      'Both phases are needed for the comparison; this run has ' +
        `${report.phases.map((phase) => phase.flow).join(', ') || 'none'}.`,
      '',
    );
    return lines.join('\n');
  }
  lines.push('## Per flow, side by side', '');
  lines.push(...table(['', 'one-step', 'hold-and-capture', 'ratio'], comparisonRows(oneStep, hold)), '');
  lines.push(
    'Throughput, latencies and CPU are over each measured window (CPU divided by the flows completed in ' +
      'it); rows, WAL and messages over the whole phase, warm-up to settled and notified, divided ' +
      'by the flows of the phase that completed. WAL is the whole server (the three databases together). ' +
      'A Kafka message is an outbox row of the flow, published.',
    '',
  );
  const polling = hold.polling;
  if (polling) {
    lines.push(
      `Polling for HELD: ${polling.queries} queries over the phase (${ratioText(polling.queries, hold.phaseFlows)} ` +
        `per flow), ${polling.queryMs.toFixed(0)} ms of query time in all; HELD to capture sent ` +
        `p50 ${fmt(hold.heldToCaptureMs?.p50 ?? null)} / p99 ${fmt(hold.heldToCaptureMs?.p99 ?? null)} ms, ` +
        'part of the request-to-final latency above.',
      '',
    );
  }
  lines.push('## Phases', '');
  lines.push(
    ...table(
      ['phase', 'flows in window', 'accepted', 'errors', 'final', 'FAILED', 'unsettled', 'phase flows'],
      report.phases.map((phase) => [
        phase.flow,
        String(phase.flows),
        String(phase.accepted),
        describeFailures(phase.failures),
        String(phase.outcomes.completed),
        String(phase.outcomes.failed),
        String(phase.outcomes.unsettled),
        String(phase.phaseFlows),
      ]),
    ),
    '',
  );
  lines.push('## Audit', '');
  if (!report.audit) lines.push('Not run: the benchmark stopped before it.', '');
  else lines.push('```text', report.audit.text, '```', '');
  return lines.join('\n');
}

/** The side-by-side rows: a label, the one-step value, the hold-and-capture value, their ratio. */
export function comparisonRows(oneStep: FlowPhaseResult, hold: FlowPhaseResult): string[][] {
  const a = flowCosts(oneStep);
  const b = flowCosts(hold);
  const row = (label: string, x: number | null, y: number | null, digits = 1): string[] => [
    label,
    num(x, digits),
    num(y, digits),
    times(ratio(y, x)),
  ];
  const latency = (label: string, x: LatencySummary | null, y: LatencySummary | null): string[] => [
    label,
    pair(x),
    pair(y),
    x && y ? `${times(ratio(y.p50, x.p50))} / ${times(ratio(y.p99, x.p99))}` : '',
  ];
  const requestsOf = (phase: FlowPhaseResult) => phase.requests.map((request) => request.acceptMs);
  const rows: string[][] = [
    row('completed flows/s', oneStep.completedPerSecond, hold.completedPerSecond, 0),
    ...Array.from({ length: Math.max(oneStep.requests.length, hold.requests.length) }, (_, i): string[] => [
      `accept ms p50 / p99, ${[oneStep.requests[i]?.name, hold.requests[i]?.name].filter(Boolean).join(' / ')}`,
      requestsOf(oneStep)[i] ? pair(requestsOf(oneStep)[i]!) : '-',
      requestsOf(hold)[i] ? pair(requestsOf(hold)[i]!) : '-',
      '',
    ]),
    latency('request-to-final ms p50 / p99', oneStep.requestToFinalMs, hold.requestToFinalMs),
  ];
  for (const name of Object.keys(a.cpuMsByProcess))
    rows.push(
      row(`CPU ms per flow, ${name}`, a.cpuMsByProcess[name] ?? null, b.cpuMsByProcess[name] ?? null, 2),
    );
  rows.push(row('CPU ms per flow, total', a.cpuMsTotal, b.cpuMsTotal, 2));
  for (const name of Object.keys(a.rowsByDatabase))
    rows.push(
      row(`rows written per flow, ${name}`, a.rowsByDatabase[name] ?? null, b.rowsByDatabase[name] ?? null),
    );
  rows.push(row('rows written per flow, total', a.rowsTotal, b.rowsTotal));
  rows.push(row('WAL records per flow', a.walRecords, b.walRecords));
  rows.push(row('WAL KB per flow', kb(a.walBytes), kb(b.walBytes), 2));
  rows.push(row('Kafka messages per flow', a.messages, b.messages));
  return rows;
}

/** Writes flows.json and flows.md into `dir` (created); returns their paths. */
export async function writeFlowsReport(
  dir: string,
  report: FlowsReport,
): Promise<{ json: string; markdown: string }> {
  await fs.mkdir(dir, { recursive: true });
  const json = path.join(dir, 'flows.json');
  const markdown = path.join(dir, 'flows.md');
  await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await fs.writeFile(markdown, renderFlowsMarkdown(report));
  return { json, markdown };
}

function kb(bytes: number | null): number | null {
  return bytes === null ? null : bytes / 1024;
}

function num(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

function times(value: number | null): string {
  return value === null ? '-' : `x${value.toFixed(2)}`;
}

function pair(summary: LatencySummary | null): string {
  return summary ? `${fmt(summary.p50)} / ${fmt(summary.p99)}` : '-';
}

function fmt(value: number | null): string {
  if (value === null) return '-';
  return value < 10 ? value.toFixed(1) : value.toFixed(0);
}

function ratioText(count: number, per: number): string {
  return per > 0 ? (count / per).toFixed(2) : '-';
}

function describeFailures(failures: Record<string, number>): string {
  const entries = Object.entries(failures).sort(([, x], [, y]) => y - x);
  return entries.length === 0 ? '0' : entries.map(([label, count]) => `${count} ${label}`).join(', ');
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
