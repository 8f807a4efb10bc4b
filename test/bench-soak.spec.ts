// The soak mode's pure parts, without a stack: its options (`npm run bench -- --soak <duration>`), the
// environment it gives the services, the verdict over the samples (flat, growing, inconclusive) and
// the rendered report.
import { parseBenchOptions, parseDurationS } from '../scripts/bench/options';
import {
  renderSoakMarkdown,
  soakServiceEnv,
  SOAK_TABLES,
  type SoakPlan,
  type SoakReport,
  type SoakSample,
} from '../scripts/bench/soak';
import { judgeSoak, steadyStartS, type SoakSeries } from '../scripts/bench/soak-verdict';

const NOW = new Date('2030-01-02T03:04:05.678Z');

function soakPlan(argv: string[]): SoakPlan {
  const options = parseBenchOptions(argv, NOW);
  if (options.kind !== 'soak') throw new Error(`expected a soak, got ${JSON.stringify(options)}`);
  return options.plan;
}

function usageError(argv: string[]): string {
  const options = parseBenchOptions(argv, NOW);
  if (options.kind !== 'usage-error') throw new Error(`expected a usage error, got ${options.kind}`);
  return options.message;
}

describe('soak options', () => {
  it('--soak takes a duration and defaults to 600/s, a 60 s window, runs every 5 s, a sample every 10 s', () => {
    const options = parseBenchOptions(['--soak', '10m'], NOW);
    expect(options).toMatchObject({ kind: 'soak', logLevel: 'warn' });
    if (options.kind !== 'soak') return;
    expect(options.outDir).toMatch(/\.oncepay\/soak\/2030-01-02T03-04-05-678Z$/);
    expect(options.plan).toEqual({
      durationS: 600,
      ratePerSecond: 600,
      retentionWindowS: 60,
      retentionIntervalS: 5,
      sampleEveryS: 10,
      tolerance: 0.1,
      accounts: 500,
      settleTimeoutS: 120,
    });
  });

  it('reads durations in seconds, minutes and hours, and explicit flags win over --smoke', () => {
    expect(parseDurationS('--soak', '90')).toBe(90);
    expect(parseDurationS('--soak', '90s')).toBe(90);
    expect(parseDurationS('--soak', '1.5m')).toBe(90);
    expect(parseDurationS('--soak', '2h')).toBe(7200);
    expect(
      soakPlan(['--soak', '5m', '--rate', '300', '--retention-window', '2m', '--sample-every', '15s']),
    ).toMatchObject({ durationS: 300, ratePerSecond: 300, retentionWindowS: 120, sampleEveryS: 15 });
    expect(soakPlan(['--soak', '30s', '--smoke'])).toMatchObject({
      durationS: 30,
      ratePerSecond: 50,
      retentionWindowS: 5,
      retentionIntervalS: 1,
      sampleEveryS: 2,
    });
    expect(soakPlan(['--soak', '30s', '--smoke', '--rate', '80'])).toMatchObject({ ratePerSecond: 80 });
  });

  it('answers a usage error for a bad duration, a flag of the benchmark phases, or a soak flag without --soak', () => {
    expect(usageError(['--soak', '10 minutes'])).toMatch(/--soak must be a duration/);
    expect(usageError(['--soak', '0s'])).toMatch(/--soak must be a duration/);
    expect(usageError(['--soak', ''])).toMatch(/--soak must be a duration/);
    expect(usageError(['--soak', '5m', '--rate', '-1'])).toMatch(/--rate/);
    expect(usageError(['--soak', '5m', '--retention-window', '1.5s'])).toMatch(/whole number of seconds/);
    expect(usageError(['--soak', '5m', '--retention-interval', '0.5s'])).toMatch(/at least 1 s/);
    expect(usageError(['--soak', '5m', '--tolerance', '0'])).toMatch(/--tolerance/);
    expect(usageError(['--soak', '5m', '--rates', '100'])).toMatch(/--rates does not apply to --soak/);
    expect(usageError(['--soak', '5m', '--no-pgbench'])).toMatch(/no pgbench baseline/);
    expect(usageError(['--rate', '100'])).toMatch(/--rate applies to --soak and --flows only/);
  });

  it('lets the benchmark itself run with a retention window, on a stack of its own', () => {
    const options = parseBenchOptions(['--retention-window', '30s', '--retention-interval', '1s'], NOW);
    expect(options).toMatchObject({
      kind: 'bench',
      serviceEnv: { SOAK_RETENTION_SECONDS: '30', RETENTION_INTERVAL_MS: '1000' },
    });
    expect(parseBenchOptions([], NOW)).toMatchObject({ kind: 'bench', serviceEnv: {} });
    expect(usageError(['--retention-interval', '1s'])).toMatch(/needs --retention-window/);
    expect(usageError(['--retention-window', '0.5s'])).toMatch(/whole number of seconds/);
  });

  it('gives the services the window in whole seconds and the interval in ms', () => {
    expect(soakServiceEnv(soakPlan(['--soak', '5m', '--retention-interval', '2.5s']))).toEqual({
      SOAK_RETENTION_SECONDS: '60',
      RETENTION_INTERVAL_MS: '2500',
    });
  });
});

/** Samples every 10 s for 300 s, each value from `valueAt(t)`. */
function series(name: string, valueAt: (t: number) => number): SoakSeries {
  const atS = Array.from({ length: 30 }, (_, i) => (i + 1) * 10);
  return { name, atS, values: atS.map(valueAt) };
}

/** A table retention keeps at rate x window: ramps up over the window, then a saw-tooth around it. */
const bounded = (t: number) => 600 * Math.min(t, 60) + (t % 20 === 0 ? 1_500 : 0);

describe('the soak verdict', () => {
  it('starts judging after the window, two retention intervals and one sample interval', () => {
    expect(steadyStartS({ retentionWindowS: 60, retentionIntervalS: 5, sampleEveryS: 10 })).toBe(80);
  });

  it('calls a table flat when it holds steady after the ramp, whatever it did during the ramp', () => {
    const verdict = judgeSoak([series('rows', bounded)], { steadyFromS: 80, tolerance: 0.1 });
    expect(verdict.outcome).toBe('flat');
    expect(verdict.series[0]).toMatchObject({ name: 'rows', steadySamples: 23, min: 36_000, max: 37_500 });
    expect(Math.abs(verdict.series[0]!.drift)).toBeLessThan(0.05);
  });

  it('calls a table growing when retention falls behind, even by a fraction of the write rate', () => {
    // Retention shedding 90% of what is written: the table gains 60 rows/s on top of its level.
    const behind = (t: number) => bounded(t) + 60 * t;
    const verdict = judgeSoak([series('ok', bounded), series('behind', behind)], {
      steadyFromS: 80,
      tolerance: 0.1,
    });
    expect(verdict.outcome).toBe('growing');
    expect(verdict.series.map((one) => one.flat)).toEqual([true, false]);
    expect(verdict.series[1]!.drift).toBeGreaterThan(0.1);
  });

  it('treats an idle table as flat and a table that leaves zero as growing', () => {
    const zero = series('idle', () => 0);
    const leavesZero = series('wakes', (t) => (t >= 200 ? 5 : 0));
    expect(judgeSoak([zero], { steadyFromS: 80, tolerance: 0.1 }).outcome).toBe('flat');
    expect(judgeSoak([leavesZero], { steadyFromS: 80, tolerance: 0.1 }).outcome).toBe('growing');
  });

  it('calls a table that only fell after a burst unsteady, not growing, and ignores one stall', () => {
    const burstThenSettled = (t: number) => (t < 150 ? 50_000 : 36_000);
    expect(judgeSoak([series('rows', burstThenSettled)], { steadyFromS: 80, tolerance: 0.1 }).outcome).toBe(
      'unsteady',
    );
    const oneStall = (t: number) => (t === 200 ? 4_000 : bounded(t));
    expect(judgeSoak([series('rows', oneStall)], { steadyFromS: 80, tolerance: 0.1 }).outcome).toBe('flat');
  });

  it('is inconclusive with fewer than four steady samples, and refuses a bad tolerance or ragged series', () => {
    expect(judgeSoak([series('rows', bounded)], { steadyFromS: 280, tolerance: 0.1 }).outcome).toBe(
      'inconclusive',
    );
    expect(() => judgeSoak([series('rows', bounded)], { steadyFromS: 80, tolerance: 0 })).toThrow(RangeError);
    expect(() =>
      judgeSoak([{ name: 'x', atS: [1, 2], values: [1] }], { steadyFromS: 0, tolerance: 0.1 }),
    ).toThrow(RangeError);
  });
});

describe('the soak report', () => {
  it('shows the verdict, every sample of every table and the problems', () => {
    const sample = (atS: number, rows: number): SoakSample => ({
      atS,
      at: new Date(NOW.getTime() + atS * 1000).toISOString(),
      completedPerSecond: 598,
      rows: Object.fromEntries(SOAK_TABLES.map((t) => [`${t.database}.${t.table}`, rows])),
      bytes: Object.fromEntries(SOAK_TABLES.map((t) => [`${t.database}.${t.table}`, 5 * 1024 ** 2])),
    });
    const plan = soakPlan(['--soak', '5m']);
    const samples = [sample(10, 6_000), sample(90, 36_100), sample(100, 36_050), sample(110, 36_120)];
    const verdict = judgeSoak([series('rows', bounded)], { steadyFromS: 80, tolerance: 0.1 });
    const report: SoakReport = {
      ok: false,
      problems: ['the audit found broken invariants'],
      startedAt: NOW.toISOString(),
      finishedAt: NOW.toISOString(),
      machine: { cpus: 2, cpuModel: 'test cpu', loadAverageAtStart: [1, 1, 1], loadAverageAtEnd: [2, 2, 2] },
      stack: { description: 'a test stack', notes: [] },
      plan,
      serviceEnv: soakServiceEnv(plan),
      load: { requests: 1000, accepted: 998, failures: { 'HTTP 503': 2 } },
      samples,
      verdict,
      sizeVerdict: { ...verdict, outcome: 'growing' },
      audit: null,
    };
    const markdown = renderSoakMarkdown(report);
    expect(markdown).toContain('## Verdict: rows FLAT, sizes GROWING');
    expect(markdown).toContain('SOAK_RETENTION_SECONDS=60');
    expect(markdown).toContain('2 HTTP 503');
    expect(markdown).toContain('36120 (5.0)');
    expect(markdown).toContain('Problems: the audit found broken invariants.');
    // A header, a rule and one line per sample.
    expect(markdown.split('\n').filter((line) => /^\| \d+ +\| 598 /.test(line))).toHaveLength(4);
  });
});
