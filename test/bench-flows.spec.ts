// The flows benchmark's pure parts (`npm run bench -- --flows`): its flags, the growth of PostgreSQL's
// counters, the cost of one flow from a phase's measurements, the ratio, and the side-by-side report.
import { counterDelta, databaseNameOf, type CounterReading } from '../scripts/bench/db-counters';
import {
  comparisonRows,
  flowCosts,
  ratio,
  renderFlowsMarkdown,
  type FlowPhaseResult,
  type FlowsReport,
} from '../scripts/bench/flows-report';
import { runOpenLoop, OpenLoopSchedule } from '../scripts/bench/load';
import { parseBenchOptions } from '../scripts/bench/options';
import type { ProcessUsage } from '../scripts/bench/process-sampler';
import { summarize } from '../scripts/bench/stats';

describe('npm run bench -- --flows, its flags', () => {
  it('runs one rate twice, with its own defaults, and the shared flags', () => {
    const options = parseBenchOptions(['--flows', '--rate', '150', '--duration', '20', '--accounts', '50']);
    expect(options).toMatchObject({
      kind: 'flows',
      plan: { ratePerSecond: 150, durationS: 20, warmupS: 10, accounts: 50, settleTimeoutS: 120 },
      logLevel: 'warn',
    });
    expect(parseBenchOptions(['--flows'])).toMatchObject({ plan: { ratePerSecond: 200, durationS: 30 } });
    expect(parseBenchOptions(['--flows', '--smoke'])).toMatchObject({
      plan: { ratePerSecond: 20, durationS: 3, accounts: 20 },
    });
  });

  it('refuses the flags of other runs, and --rate without --flows or --soak', () => {
    for (const argv of [
      ['--flows', '--rates', '100'],
      ['--flows', '--concurrency', '8'],
      ['--flows', '--no-pgbench'],
      ['--flows', '--soak', '10m'],
      ['--flows', '--retention-window', '5s'],
      ['--flows', '--rate', '0'],
    ])
      expect(parseBenchOptions(argv)).toMatchObject({ kind: 'usage-error' });
    expect(parseBenchOptions(['--rate', '100'])).toEqual({
      kind: 'usage-error',
      message: '--rate applies to --soak and --flows only',
    });
  });
});

describe("PostgreSQL's counters", () => {
  const reading = (
    inserted: number,
    updated: number,
    walRecords: number,
    walBytes: number,
  ): CounterReading => ({
    databases: { transfer: { inserted, updated, deleted: 1 } },
    walBytes,
    walRecords,
  });

  it('grow from one reading to the next; rows written are inserts, updates and deletes', () => {
    expect(counterDelta(reading(100, 50, 10, 1_000), reading(160, 80, 25, 9_192))).toEqual({
      databases: { transfer: { inserted: 60, updated: 30, deleted: 0, rowsWritten: 90 } },
      walBytes: 8_192,
      walRecords: 15,
    });
  });

  it('need a reading of every database before the load', () => {
    expect(() => counterDelta({ databases: {}, walBytes: 0, walRecords: 0 }, reading(1, 1, 1, 1))).toThrow(
      'transfer',
    );
  });

  it('are read for the database a URL names', () => {
    expect(databaseNameOf('postgres://u:p@127.0.0.1:5432/oncepay_transfer?sslmode=disable')).toBe(
      'oncepay_transfer',
    );
    expect(() => databaseNameOf('postgres://127.0.0.1:5432/')).toThrow('no database name');
  });
});

describe('the open loop hands each request the time it was due', () => {
  it('so a flow can be timed from its schedule, not from when it left', async () => {
    const dues: number[] = [];
    await runOpenLoop(
      async (dueAt) => {
        dues.push(dueAt);
        return { transferId: 'id', failure: null };
      },
      { ratePerSecond: 100, warmupMs: 0, durationMs: 100 },
    );
    expect(dues).toHaveLength(10);
    const schedule = new OpenLoopSchedule(100, dues[0]!, 100);
    expect(dues).toEqual(dues.map((_, i) => schedule.dueAt(i)));
  });
});

function usage(name: string, cpuSeconds: number): ProcessUsage {
  return {
    name,
    kind: name === 'postgresql' ? 'postgresql' : 'service',
    pid: 1,
    cpuSeconds,
    cores: cpuSeconds / 10,
    peakRssBytes: 0,
    peakGroupMemoryBytes: null,
    peakProcessCount: 1,
    samples: 1,
    aliveAtEnd: true,
  };
}

function phase(overrides: Partial<FlowPhaseResult>): FlowPhaseResult {
  return {
    flow: 'one-step',
    window: { from: '2026-11-30T00:00:10.000Z', to: '2026-11-30T00:00:20.000Z' },
    flows: 1000,
    accepted: 1000,
    failures: {},
    completedPerSecond: 100,
    completedInWindow: 1000,
    requests: [{ name: 'transfer', acceptMs: summarize([2, 4, 8]) }],
    requestToFinalMs: summarize([50, 60, 100]),
    heldToCaptureMs: null,
    outcomes: { completed: 1000, failed: 0, unsettled: 0 },
    processes: [usage('transfer-service', 0.5), usage('postgresql', 1.5)],
    phaseFlows: 2000,
    database: {
      databases: {
        transfer: { inserted: 8000, updated: 4000, deleted: 0, rowsWritten: 12000 },
        ledger: { inserted: 10000, updated: 6000, deleted: 0, rowsWritten: 16000 },
      },
      walBytes: 2048 * 2000,
      walRecords: 8000,
    },
    messagesByTopic: {
      'transfer-requests.v1': 2000,
      'ledger-results.v1': 2000,
      'transfer-outcomes.v1': 2000,
    },
    polling: null,
    ...overrides,
  };
}

const oneStep = phase({});
const hold = phase({
  flow: 'hold-and-capture',
  completedPerSecond: 98,
  completedInWindow: 980,
  requests: [
    { name: 'hold', acceptMs: summarize([3, 5, 9]) },
    { name: 'capture', acceptMs: summarize([4, 6, 12]) },
  ],
  requestToFinalMs: summarize([100, 130, 250]),
  heldToCaptureMs: summarize([5, 10, 21]),
  processes: [usage('transfer-service', 0.98), usage('postgresql', 2.45)],
  phaseFlows: 1000,
  database: {
    databases: {
      transfer: { inserted: 7000, updated: 5000, deleted: 0, rowsWritten: 12000 },
      ledger: { inserted: 9000, updated: 6000, deleted: 1000, rowsWritten: 16000 },
    },
    walBytes: 4096 * 1000,
    walRecords: 7000,
  },
  messagesByTopic: { 'transfer-requests.v1': 2000, 'ledger-results.v1': 2000, 'transfer-outcomes.v1': 1000 },
  polling: { queries: 1500, queryMs: 600 },
});

describe('the cost of one flow', () => {
  it('divides CPU over the window by the flows completed in it, and the writes by the flows of the phase', () => {
    expect(flowCosts(oneStep)).toEqual({
      cpuMsByProcess: { 'transfer-service': 0.5, postgresql: 1.5 },
      cpuMsTotal: 2,
      rowsByDatabase: { transfer: 6, ledger: 8 },
      rowsTotal: 14,
      walBytes: 2048,
      walRecords: 4,
      messages: 3,
      kafkaBytes: null,
    });
    expect(flowCosts(hold)).toEqual({
      cpuMsByProcess: { 'transfer-service': 1, postgresql: 2.5 },
      cpuMsTotal: 3.5,
      rowsByDatabase: { transfer: 12, ledger: 16 },
      rowsTotal: 28,
      walBytes: 4096,
      walRecords: 7,
      messages: 5,
      kafkaBytes: null,
    });
  });

  it('is unknown, not zero or infinite, when nothing completed', () => {
    const costs = flowCosts(phase({ completedInWindow: 0, phaseFlows: 0 }));
    expect(costs.cpuMsTotal).toBeNull();
    expect(costs.cpuMsByProcess).toEqual({ 'transfer-service': null, postgresql: null });
    expect(costs.rowsTotal).toBeNull();
    expect(costs.messages).toBeNull();
  });

  it('is compared as hold-and-capture over one-step, with nothing to divide by giving no ratio', () => {
    expect(ratio(3.5, 2)).toBe(1.75);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, null)).toBeNull();
  });
});

describe('the side-by-side report', () => {
  it('has a row per measure: both values and their ratio', () => {
    const rows = comparisonRows(oneStep, hold);
    const find = (label: string) => rows.find((row) => row[0] === label);
    expect(find('completed flows/s')).toEqual(['completed flows/s', '100', '98', 'x0.98']);
    expect(find('accept ms p50 / p99, transfer / hold')).toEqual([
      'accept ms p50 / p99, transfer / hold',
      '4.0 / 8.0',
      '5.0 / 9.0',
      '',
    ]);
    expect(find('accept ms p50 / p99, capture')).toEqual([
      'accept ms p50 / p99, capture',
      '-',
      '6.0 / 12',
      '',
    ]);
    expect(find('request-to-final ms p50 / p99')).toEqual([
      'request-to-final ms p50 / p99',
      '60 / 100',
      '130 / 250',
      'x2.17 / x2.50',
    ]);
    expect(find('CPU ms per flow, transfer-service')).toEqual([
      'CPU ms per flow, transfer-service',
      '0.50',
      '1.00',
      'x2.00',
    ]);
    expect(find('CPU ms per flow, total')).toEqual(['CPU ms per flow, total', '2.00', '3.50', 'x1.75']);
    expect(find('rows written per flow, ledger')).toEqual([
      'rows written per flow, ledger',
      '8.0',
      '16.0',
      'x2.00',
    ]);
    expect(find('rows written per flow, total')).toEqual([
      'rows written per flow, total',
      '14.0',
      '28.0',
      'x2.00',
    ]);
    expect(find('WAL records per flow')).toEqual(['WAL records per flow', '4.0', '7.0', 'x1.75']);
    expect(find('WAL KB per flow')).toEqual(['WAL KB per flow', '2.00', '4.00', 'x2.00']);
    expect(find('Kafka messages per flow')).toEqual(['Kafka messages per flow', '3.0', '5.0', 'x1.67']);
  });

  const report: FlowsReport = {
    ok: true,
    problems: [],
    startedAt: '2026-11-30T00:00:00.000Z',
    finishedAt: '2026-11-30T00:02:00.000Z',
    machine: { cpus: 2, cpuModel: 'Test CPU', loadAverageAtStart: [1, 1, 1], loadAverageAtEnd: [2, 2, 2] },
    stack: { description: 'a test stack', notes: [] },
    plan: {
      ratePerSecond: 100,
      warmupS: 5,
      durationS: 10,
      accounts: 20,
      settleTimeoutS: 60,
      pollIntervalMs: 20,
    },
    phases: [oneStep, hold],
    audit: { ok: true, text: 'OncePay audit: OK', checks: [], deadLettersBefore: 0 },
  };

  it('renders the comparison, the polling apart, both phases and the audit', () => {
    const markdown = renderFlowsMarkdown(report);
    expect(markdown).toContain('Result: OK (audit clean)');
    expect(markdown).toContain('100 flows/s offered');
    expect(markdown).toMatch(/\| CPU ms per flow, total +\| 2\.00 +\| 3\.50 +\| x1\.75 +\|/);
    expect(markdown).toContain(
      'Polling for HELD: 1500 queries over the phase (1.50 per flow), 600 ms of query time in all; ' +
        'HELD to capture sent p50 10 / p99 21 ms',
    );
    expect(markdown).toMatch(/\| hold-and-capture +\| 1000 +\| 1000 +\| 0 +\|/);
    expect(markdown).toContain('OncePay audit: OK');
  });

  it('says so when a phase is missing, and a failed run says why', () => {
    const markdown = renderFlowsMarkdown({
      ...report,
      ok: false,
      problems: ['hold-and-capture: 3 requests failed'],
      phases: [oneStep],
    });
    expect(markdown).toContain('FAILED: hold-and-capture: 3 requests failed');
    expect(markdown).toContain('Both phases are needed for the comparison; this run has one-step.');
    expect(markdown).not.toContain('## Per flow');
  });
});
