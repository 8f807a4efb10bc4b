// The benchmark's measuring parts on their own, without a stack: nearest-rank percentiles, the open-loop
// schedule and its refusal to omit what a stall delayed, the /proc and pgbench parsers, CPU accounting
// of a process's exited children, the targets' verdicts and the rendered report.
import { spawn } from 'node:child_process';
import { runClosedLoop, runOpenLoop, OpenLoopSchedule, type SendOutcome } from '../scripts/bench/load';
import { parseBenchOptions } from '../scripts/bench/options';
import { parsePgbenchOutput, pgbenchScript } from '../scripts/bench/pgbench';
import { listeningInodes, parseKbField, parseMemory, parseStat } from '../scripts/bench/proc';
import { ProcessSampler } from '../scripts/bench/process-sampler';
import type { ProcessUsage } from '../scripts/bench/process-sampler';
import { renderMarkdown, table, type BenchReport, type PhaseResult } from '../scripts/bench/report';
import { percentile, summarize } from '../scripts/bench/stats';
import { evaluateTargets } from '../scripts/bench/targets';

describe('percentiles', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('are nearest-rank: a measured value with at least p% of the values at or below it', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 95)).toBe(95);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('refuse no values and a p outside (0, 100]', () => {
    expect(() => percentile([], 50)).toThrow('no values');
    expect(() => percentile([1], 0)).toThrow();
    expect(() => percentile([1], 101)).toThrow();
  });

  it('summarize sorts numerically (not as strings) and reports null when nothing was measured', () => {
    const summary = summarize([100, 9, 20, 3, 1000]);
    expect(summary).toEqual({ count: 5, p50: 20, p95: 1000, p99: 1000, max: 1000, mean: 226.4 });
    expect(summarize([])).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
  });
});

describe('the open-loop schedule', () => {
  it('puts request i at start + i/rate, computed from i, so it never drifts', () => {
    const schedule = new OpenLoopSchedule(500, 1_000, 1_000);
    expect(schedule.total).toBe(500);
    expect(schedule.dueAt(0)).toBe(1_000);
    expect(schedule.dueAt(1)).toBe(1_002);
    expect(schedule.dueAt(499)).toBe(1_998);
    const long = new OpenLoopSchedule(3, 0, 3_600_000);
    expect(long.total).toBe(10_800);
    expect(long.dueAt(10_799)).toBeCloseTo(3_599_666.667, 3);
  });

  it('counts the requests due by a time, none before the start, never more than the total', () => {
    const schedule = new OpenLoopSchedule(500, 1_000, 1_000);
    expect(schedule.dueBy(999)).toBe(0);
    expect(schedule.dueBy(1_000)).toBe(1);
    expect(schedule.dueBy(1_009.5)).toBe(5);
    expect(schedule.dueBy(1_010.5)).toBe(6);
    expect(schedule.dueBy(5_000)).toBe(500);
    expect(() => new OpenLoopSchedule(0, 0, 1)).toThrow();
  });

  const accepted = (): SendOutcome => ({ transferId: 'id', failure: null });

  it('keeps sending on schedule while earlier requests are unanswered', async () => {
    let started = 0;
    const send = async (): Promise<SendOutcome> => {
      started += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return accepted();
    };
    const samples = await runOpenLoop(send, { ratePerSecond: 200, warmupMs: 0, durationMs: 500 });
    // A closed loop with one worker would have sent 2 in this time.
    expect(started).toBe(100);
    expect(samples.windowRequests).toBe(100);
    expect(Math.min(...samples.acceptLatenciesMs)).toBeGreaterThanOrEqual(299);
  });

  it('measures from the time a request was due, so a stalled generator shows in the latencies', async () => {
    let calls = 0;
    const send = async (): Promise<SendOutcome> => {
      calls += 1;
      // The 5th request blocks the event loop for 150 ms: the ones due meanwhile leave late.
      if (calls === 5) {
        const until = Date.now() + 150;
        while (Date.now() < until);
      }
      return accepted();
    };
    const samples = await runOpenLoop(send, { ratePerSecond: 100, warmupMs: 0, durationMs: 500 });
    expect(samples.windowRequests).toBe(50);
    expect(Math.max(...samples.sendLagsMs)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...samples.acceptLatenciesMs)).toBeGreaterThanOrEqual(100);
  });

  it('sorts requests into warm-up and window and counts failures by label', async () => {
    let calls = 0;
    const send = async (): Promise<SendOutcome> => {
      calls += 1;
      return calls % 4 === 0 ? { transferId: null, failure: 'HTTP 503' } : accepted();
    };
    const samples = await runOpenLoop(send, { ratePerSecond: 100, warmupMs: 200, durationMs: 400 });
    expect(calls).toBe(60);
    expect(samples.windowRequests).toBe(40);
    expect(samples.failures['HTTP 503']).toBe(10);
    expect(samples.windowIds).toHaveLength(30);
    expect(samples.acceptedIds).toHaveLength(45);
    expect(samples.window.seconds).toBe(0.4);
    expect(samples.window.to.getTime() - samples.window.from.getTime()).toBe(400);
  });
});

describe('the closed loop', () => {
  it('keeps exactly `concurrency` requests in flight, each sent when the last was answered', async () => {
    let inFlight = 0;
    let most = 0;
    const send = async (): Promise<SendOutcome> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight -= 1;
      return { transferId: 'id', failure: null };
    };
    const samples = await runClosedLoop(send, { concurrency: 3, warmupMs: 0, durationMs: 300 });
    expect(most).toBe(3);
    // At most 3 workers x 300 ms / 20 ms; fewer when timers overshoot on a busy machine.
    expect(samples.windowRequests).toBeGreaterThanOrEqual(9);
    expect(samples.windowRequests).toBeLessThanOrEqual(48);
    expect(Math.min(...samples.acceptLatenciesMs)).toBeGreaterThanOrEqual(19);
  });
});

describe('/proc parsing', () => {
  it('reads a stat line whose command name holds spaces and parentheses', () => {
    const line =
      '4242 (postgres: a (b) c) S 3741 3741 3741 0 -1 4194560 1519 0 0 0 123 45 6 7 20 0 1 0 2937 229797888 3322';
    expect(parseStat(line)).toEqual({
      pid: 4242,
      comm: 'postgres: a (b) c',
      ppid: 3741,
      utime: 123,
      stime: 45,
      cutime: 6,
      cstime: 7,
    });
  });

  it('reads the memory lines of /proc/<pid>/status in bytes', () => {
    const status =
      'Name:\tnode\nVmHWM:\t  345644 kB\nVmRSS:\t  244764 kB\nRssAnon:\t  200000 kB\nRssFile:\t   40000 kB\nRssShmem:\t    4764 kB\n';
    expect(parseKbField(status, 'VmHWM')).toBe(345_644 * 1024);
    expect(parseMemory(status)).toEqual({
      rssBytes: 244_764 * 1024,
      anonBytes: 200_000 * 1024,
      fileBytes: 40_000 * 1024,
      shmemBytes: 4_764 * 1024,
    });
    expect(parseMemory('Name:\tzombie\n')).toBeNull();
  });

  it('finds the inodes listening on a port, not those connected to it', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 420927 1 0 100 0 0 10 0',
      '   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 3001 1 0 100 0 0 10 0',
      '   2: 0100007F:0BB8 0100007F:D1F2 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0 20 4 30 10 -1',
    ].join('\n');
    expect(listeningInodes(table, 3000)).toEqual([420927]);
    expect(listeningInodes(table, 5432)).toEqual([3001]);
    expect(listeningInodes(table, 9092)).toEqual([]);
  });
});

describe('process sampling', () => {
  it("counts a process's own CPU, and its exited children's only when asked to", async () => {
    const sampler = new ProcessSampler(
      [
        { name: 'alone', kind: 'other', pid: process.pid, includeChildren: false },
        { name: 'with children', kind: 'other', pid: process.pid, includeChildren: true },
      ],
      50,
    );
    sampler.start();
    const window = await sampler.openWindow();
    const child = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 500_000);']);
    await new Promise((resolve) => child.once('exit', resolve));
    const [alone, withChildren] = await window.close();
    sampler.stop();
    expect(withChildren!.cpuSeconds - alone!.cpuSeconds).toBeGreaterThanOrEqual(0.4);
    expect(alone!.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(alone!.samples).toBeGreaterThan(3);
    expect(alone!.aliveAtEnd).toBe(true);
    expect(withChildren!.peakProcessCount).toBeGreaterThanOrEqual(2);
    expect(withChildren!.peakGroupMemoryBytes).toBeGreaterThan(0);
  });

  it('reports a process that is gone as not alive, with no CPU', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
    const sampler = new ProcessSampler([
      { name: 'short', kind: 'other', pid: child.pid!, includeChildren: false },
    ]);
    const window = await sampler.openWindow();
    await new Promise((resolve) => child.once('exit', resolve));
    const [usage] = await window.close();
    expect(usage).toMatchObject({ aliveAtEnd: false, cpuSeconds: 0 });
  });
});

describe('pgbench', () => {
  const output = [
    'pgbench (15.18 (Debian 15.18-0+deb12u1), server 17.10)',
    'transaction type: /tmp/s.sql',
    'number of transactions actually processed: 18002',
    'number of failed transactions: 0 (0.000%)',
    'latency average = 1.315 ms',
    'initial connection time = 46.773 ms',
    'tps = 6085.021288 (without initial connection time)',
  ].join('\n');

  it("reads tps, latency and transactions from pgbench's summary", () => {
    expect(parsePgbenchOutput(output)).toEqual({
      tps: 6085.021288,
      latencyAverageMs: 1.315,
      transactions: 18002,
    });
  });

  it('refuses output without a tps line', () => {
    expect(() => parsePgbenchOutput('pgbench: error: connection failed')).toThrow('no tps line');
  });

  it('runs one single-row UPDATE per transaction over every row of the scale', () => {
    expect(pgbenchScript(2)).toContain('random(1, 200000)');
    expect(pgbenchScript(1).match(/UPDATE/g)).toHaveLength(1);
  });
});

describe('options', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');

  it('defaults to the full run and writes under .oncepay/bench/<time>', () => {
    const options = parseBenchOptions([], now);
    if (options.kind !== 'bench') throw new Error(options.kind);
    expect(options.plan).toMatchObject({
      durationS: 60,
      warmupS: 10,
      concurrency: 64,
      ratesPerSecond: [250, 500, 1000],
    });
    expect(options.plan.pgbench).toMatchObject({ binary: 'pgbench', durationS: 15 });
    expect(options.outDir).toMatch(/\.oncepay\/bench\/2026-01-02T03-04-05-678Z$/);
  });

  it('--smoke shrinks everything, and explicit flags still win', () => {
    const options = parseBenchOptions(['--smoke', '--rates', '20,30', '--no-pgbench'], now);
    if (options.kind !== 'bench') throw new Error(options.kind);
    expect(options.plan).toMatchObject({ durationS: 3, warmupS: 1, ratesPerSecond: [20, 30], pgbench: null });
  });

  it('answers a usage error for bad values and unknown flags', () => {
    for (const argv of [
      ['--duration', '0'],
      ['--concurrency', '1.5'],
      ['--rates', '10,x'],
      ['--accounts', '1'],
      ['--bogus'],
      ['--concurrency', '0', '--rates', ''],
    ])
      expect(parseBenchOptions(argv, now).kind).toBe('usage-error');
  });
});

function phase(overrides: Partial<PhaseResult>): PhaseResult {
  const latency = { count: 100, p50: 5, p95: 15, p99: 20, max: 40, mean: 8 };
  return {
    name: 'open loop, 1000/s offered',
    mode: 'open',
    concurrency: null,
    offeredPerSecond: 1000,
    warmupS: 10,
    durationS: 60,
    window: { from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:01:10.000Z' },
    requests: 60_000,
    accepted: 60_000,
    errors: 0,
    failures: {},
    acceptedPerSecond: 1000,
    completedPerSecond: 1000,
    completedInWindow: 60_000,
    completedEachSecond: [1000, 1000],
    acceptLatencyMs: latency,
    acceptToCompletedMs: { ...latency, p99: 200 },
    sendLagMs: { ...latency, p99: 1 },
    outcomes: { completed: 60_000, failed: 0, unsettled: 0 },
    processes: [],
    cost: {
      completedInPhase: 70_000,
      database: { databases: {}, walBytes: 0, walRecords: 0 },
      kafka: { messagesByTopic: {}, messages: 0, bytes: null, bytesNote: 'not measured: a used stack' },
      perTransfer: {
        cpuMsByProcess: {},
        cpuMsTotal: null,
        rowsByDatabase: {},
        rowsTotal: null,
        walBytes: null,
        walRecords: null,
        messages: null,
        kafkaBytes: null,
      },
    },
    ...overrides,
  };
}

function usage(name: string, rssMb: number): ProcessUsage {
  return {
    name,
    kind: 'service',
    pid: 1,
    cpuSeconds: 1,
    cores: 0.5,
    peakRssBytes: rssMb * 1024 * 1024,
    peakGroupMemoryBytes: null,
    peakProcessCount: 1,
    samples: 10,
    aliveAtEnd: true,
  };
}

describe('targets', () => {
  const closed = (completedPerSecond: number, durationS = 60) =>
    phase({
      name: 'closed loop',
      mode: 'closed',
      concurrency: 64,
      offeredPerSecond: null,
      completedPerSecond,
      durationS,
    });

  it('pass, fail, or say why they were not measured', () => {
    const byId = (phases: PhaseResult[]) =>
      Object.fromEntries(
        evaluateTargets(phases, [usage('transfer-service', 120)]).map((t) => [t.id, t.status]),
      );
    expect(byId([closed(2100), phase({})])).toEqual({
      throughput: 'PASS',
      'accept-p99': 'PASS',
      'completion-p99': 'PASS',
      'rss-transfer-service': 'PASS',
    });
    expect(byId([closed(1999)])).toMatchObject({ throughput: 'FAIL', 'accept-p99': 'NOT MEASURED' });
    expect(byId([closed(5000, 10)])).toMatchObject({ throughput: 'NOT MEASURED' });
    expect(
      byId([phase({ acceptLatencyMs: { count: 1, p50: 1, p95: 1, p99: 25, max: 25, mean: 1 } })]),
    ).toMatchObject({
      'accept-p99': 'FAIL',
      'completion-p99': 'PASS',
    });
  });

  it('fail when requests were refused or transfers did not complete, whatever the percentile says', () => {
    const results = evaluateTargets(
      [
        phase({
          errors: 3,
          failures: { 'HTTP 503': 3 },
          outcomes: { completed: 59_990, failed: 0, unsettled: 10 },
        }),
      ],
      [usage('ledger-service', 251)],
    );
    expect(results.find((t) => t.id === 'accept-p99')).toMatchObject({
      status: 'FAIL',
      note: '3 requests were not accepted',
    });
    expect(results.find((t) => t.id === 'completion-p99')).toMatchObject({
      status: 'FAIL',
      note: '0 FAILED and 10 unsettled transfers',
    });
    expect(results.find((t) => t.id === 'rss-ledger-service')).toMatchObject({
      status: 'FAIL',
      measured: '251 MB',
    });
  });
});

describe('the report', () => {
  const phases = [phase({ errors: 2, failures: { 'HTTP 503': 2 } })];
  const wholeRun = [usage('transfer-service', 300)];
  const report: BenchReport = {
    ok: false,
    problems: ['the audit found broken invariants'],
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:02:00.000Z',
    machine: {
      cpus: 2,
      cpuModel: 'Test CPU',
      memoryGb: 4,
      node: 'v20',
      kernel: '6.1',
      loadAverageAtStart: [1, 1, 1],
      loadAverageAtEnd: [2, 2, 2],
    },
    stack: { description: 'a test stack', notes: ['kafka: not sampled'] },
    plan: {
      durationS: 60,
      warmupS: 10,
      concurrency: 0,
      ratesPerSecond: [1000],
      accounts: 500,
      settleTimeoutS: 120,
      pgbench: null,
      maxSockets: 256,
      prefill: null,
    },
    prefill: null,
    setup: { accounts: 500, fundedMinorEach: '10000000', seconds: 3 },
    baseline: null,
    completedPerBaselineTps: null,
    phases,
    wholeRun,
    audit: {
      ok: false,
      text: 'OncePay audit at x: FAILED (1 of 6 checks)',
      checks: [],
      deadLettersBefore: 0,
    },
    targets: evaluateTargets(phases, wholeRun),
    cpuProfiles: null,
  };

  it('renders the verdict, every target with its result, the phases, the processes and the audit', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('Result: FAILED: the audit found broken invariants');
    expect(markdown).toMatch(
      /\| p99 accept < 25 ms at 1000 offered transfers\/s +\| p99 20\.0 ms +\| FAIL +\| 2 requests were not accepted/,
    );
    expect(markdown).toMatch(/\| >= 2000 completed transfers\/s .*\| NOT MEASURED \| no closed loop ran/);
    expect(markdown).toMatch(/\| peak RSS of transfer-service < 250 MB +\| 300 MB +\| FAIL/);
    expect(markdown).toMatch(/\| open loop, 1000\/s offered \| 60000 +\| 1000 +\| 1000 +\| 2 \(2 HTTP 503\)/);
    expect(markdown).toContain('5.0 / 15 / 20');
    expect(markdown).toContain('transfer-service (pid 1)');
    expect(markdown).toContain('Not run (--no-pgbench).');
    expect(markdown).toContain('OncePay audit at x: FAILED');
  });

  it('pads table columns and escapes pipes inside cells', () => {
    expect(table(['a', 'bb'], [['x|y', '1']])).toEqual(['| a    | bb |', '|------|----|', '| x\\|y | 1  |']);
  });
});
