// `npm run bench`'s arguments: a pure function of argv (and the time, for the default output folder),
// so a bad flag is a usage error before anything starts.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_DIR } from '../infra/paths';
import type { FlowsPlan } from './flows-report';
import type { BenchPlan } from './report';
import type { SoakPlan } from './soak';

export const USAGE = `Usage: npm run bench -- [options]

Drives transfers through OncePay's public API and measures accepted/s, completed/s, latencies, CPU and
memory per process, against a pgbench baseline on the same PostgreSQL; the auditor runs at the end.
Uses the stack of a running \`npm start\`, or starts one of its own (in .oncepay/bench-stack) and stops it.
Exit code: 0 audit clean, 1 broken invariants or a failed run, 2 usage or start-up error. Targets missed
are printed as FAIL but do not change the exit code.

  --duration <s>           measured seconds of each phase (default 60)
  --warmup <s>             warm-up seconds before each phase, not measured (default 10)
  --concurrency <n>        closed-loop workers (default 64; 0 skips the closed loop)
  --rates <r,...>          open-loop offered rates, transfers/s (default 250,500,1000; "" for none)
  --accounts <n>           accounts the load is spread over (default 500)
  --settle-timeout <s>     how long a phase's transfers may take to settle afterwards (default 120)
  --pgbench-duration <s>   length of the pgbench baseline (default 15)
  --pgbench <path>         the pgbench binary (default: pgbench on PATH)
  --no-pgbench             skip the baseline
  --log-level <level>      LOG_LEVEL of the services of a stack the benchmark starts (default warn)
  --service-env <K=V>      an environment variable for the services of a stack the benchmark starts, to
                           measure a knob (BATCH_LINGER_MS=5, KAFKA_PARTITIONS=6...); repeatable. It
                           then starts its own stack and refuses a running one. Printed in the report.
  --cpu-profile            the services of a stack of its own run under V8's profiler (node --cpu-prof):
                           their profiles go to <out>/cpu-profiles and the report says, per service, where
                           its CPU went, by package and by function (the profiler costs CPU of its own)
  --out <dir>              where bench.json and bench.md are written (default .oncepay/bench/<time>)
  --smoke                  a run of a few seconds with small numbers (flags given still win)
  --help                   print this help

  --prefill <n>            history first: a stack of its own (a running one is refused) whose databases get,
                           after migration and before the services start, n settled transfers written by
                           SQL (COMPLETED, FAILED, settled holds, and a refund of every 50th payment, with
                           their accounts, journal, decisions, holds, balances and notifications), and
                           the rows retention would still hold of them in steady state: processed
                           messages, SENT outbox rows and idempotency keys of the transfers inside the
                           services' windows (720 h, 168 h, 24 h; --retention-window's if given); then
                           VACUUM ANALYZE. The report gives the fill's time and every table's rows and size
  --prefill-days <d>       the days the history is spread over, ending 2 h ago (default 60)

Soak mode (\`--soak <duration>\`): a stack of its own with retention shortened to a window of seconds,
one steady open-loop rate for the whole duration, the bookkeeping tables' rows and sizes and completed/s
sampled throughout, and a verdict: flat once the retention window has passed, growing or unsteady. Writes
soak.json and soak.md. Exit code 0 flat and audit clean, 1 otherwise.
Durations are seconds, or a number with s, m or h (90s, 10m).

  --soak <duration>        how long the load runs
  --rate <r>               the steady offered rate, transfers/s (default 600)
  --retention-window <d>   how long rows are kept: SOAK_RETENTION_SECONDS of the services (default 60s)
  --retention-interval <d> how often retention runs: RETENTION_INTERVAL_MS (default 5s)
  --sample-every <d>       how often the tables and completed/s are sampled (default 10s)
  --tolerance <fraction>   how far a steady series may drift, relative to its mean (default 0.1)
  (--accounts, --settle-timeout, --log-level, --out and --smoke apply too)

Flows mode (\`--flows\`): what a hold-and-capture costs against a one-step transfer. The same open-loop
--rate of flows twice on one stack, first one-step transfers (done at COMPLETED), then holds captured
as soon as they are HELD (done at CAPTURED); per completed flow, side by side with the ratio: flows/s,
accept and request-to-final latencies, CPU ms per process, rows and WAL written, Kafka
messages. Writes flows.json and flows.md. Exit code 0 when every flow completed and the audit is clean.

  --flows                  run the flows comparison
  --rate <r>               flows offered per second in each phase (default 200)
  (--duration (default 30), --warmup, --accounts, --settle-timeout, --log-level, --out and --smoke apply too)

--retention-window (and --retention-interval) also apply to the benchmark itself: it then starts a stack
of its own whose retention deletes the live traffic that far behind it, to measure what that costs.`;

export type BenchCliOptions =
  | {
      kind: 'bench';
      plan: BenchPlan;
      outDir: string;
      logLevel: string;
      /** Set by --retention-window and --service-env: the services of a stack of its own run with it. */
      serviceEnv: Record<string, string>;
      /** --cpu-profile: where the services' profiles are written (in outDir); null without it. */
      cpuProfileDir: string | null;
    }
  | { kind: 'soak'; plan: SoakPlan; outDir: string; logLevel: string }
  | { kind: 'flows'; plan: FlowsPlan; outDir: string; logLevel: string }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

const FULL = {
  durationS: 60,
  warmupS: 10,
  concurrency: 64,
  rates: [250, 500, 1000],
  accounts: 500,
  settleTimeoutS: 120,
  pgbenchDurationS: 15,
};
const SMOKE: typeof FULL = {
  durationS: 3,
  warmupS: 1,
  concurrency: 8,
  rates: [100],
  accounts: 20,
  settleTimeoutS: 60,
  pgbenchDurationS: 2,
};
const SOAK = {
  ratePerSecond: 600,
  retentionWindowS: 60,
  retentionIntervalS: 5,
  sampleEveryS: 10,
  tolerance: 0.1,
  accounts: 500,
  settleTimeoutS: 120,
};
/** Small enough for CI (with e.g. --soak 30s): windows of seconds at a rate any machine sustains. */
const SOAK_SMOKE: typeof SOAK = {
  ratePerSecond: 50,
  retentionWindowS: 5,
  retentionIntervalS: 1,
  sampleEveryS: 2,
  tolerance: 0.1,
  accounts: 20,
  settleTimeoutS: 60,
};
/** Both phases at a rate a busy 2-core machine sustains, so the comparison is of costs, not of backlogs. */
const FLOWS: FlowsPlan = {
  ratePerSecond: 200,
  warmupS: 10,
  durationS: 30,
  accounts: 500,
  settleTimeoutS: 120,
  pollIntervalMs: 20,
};
const FLOWS_SMOKE: FlowsPlan = {
  ratePerSecond: 20,
  warmupS: 1,
  durationS: 3,
  accounts: 20,
  settleTimeoutS: 60,
  pollIntervalMs: 20,
};
/** The benchmark's flags that --flows has no use for: it runs one rate, no closed loop, no pgbench. */
const NOT_FOR_FLOWS = [
  'service-env',
  'cpu-profile',
  'concurrency',
  'prefill',
  'prefill-days',
  'rates',
  'pgbench-duration',
  'retention-window',
  'retention-interval',
  'sample-every',
  'tolerance',
] as const;
/** The benchmark's flags that shape its phases: a soak has one load of its own. */
const NOT_FOR_SOAK = [
  'duration',
  'warmup',
  'concurrency',
  'rates',
  'pgbench-duration',
  'service-env',
  'cpu-profile',
  'prefill',
  'prefill-days',
] as const;
/** --prefill's default span: longer than every default retention window, so each keeps a part. */
const PREFILL_DAYS = 60;

/** pgbench's shape: enough clients for group commit to matter, a thread per core of a small machine. */
const PGBENCH = { clients: 8, threads: 2, scale: 1 };
const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'];

export function parseBenchOptions(argv: string[], now = new Date()): BenchCliOptions {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  const outDir = (kind: string) =>
    path.resolve(values.out ?? path.join(DATA_DIR, kind, now.toISOString().replace(/[:.]/g, '-')));
  if (values.flows) {
    try {
      if (values.soak !== undefined) throw new Error('--flows and --soak are two different runs: choose one');
      if (!LOG_LEVELS.includes(values['log-level']))
        throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
      return {
        kind: 'flows',
        plan: flowsPlan(values),
        outDir: outDir('flows'),
        logLevel: values['log-level'],
      };
    } catch (error) {
      return { kind: 'usage-error', message: (error as Error).message };
    }
  }
  if (values.soak !== undefined) {
    try {
      if (!LOG_LEVELS.includes(values['log-level']))
        throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
      return { kind: 'soak', plan: soakPlan(values), outDir: outDir('soak'), logLevel: values['log-level'] };
    } catch (error) {
      return { kind: 'usage-error', message: (error as Error).message };
    }
  }
  const soakOnly = (['rate', 'sample-every', 'tolerance'] as const).find(
    (flag) => values[flag] !== undefined,
  );
  if (soakOnly)
    return {
      kind: 'usage-error',
      message: `--${soakOnly} applies to ${soakOnly === 'rate' ? '--soak and --flows' : '--soak'} only`,
    };
  const defaults = values.smoke ? SMOKE : FULL;
  try {
    const durationS = number('--duration', values.duration, defaults.durationS, { min: 0, exclusive: true });
    const warmupS = number('--warmup', values.warmup, defaults.warmupS, { min: 0 });
    const concurrency = number('--concurrency', values.concurrency, defaults.concurrency, {
      min: 0,
      integer: true,
    });
    const accounts = number('--accounts', values.accounts, defaults.accounts, { min: 2, integer: true });
    const settleTimeoutS = number('--settle-timeout', values['settle-timeout'], defaults.settleTimeoutS, {
      min: 0,
      exclusive: true,
    });
    const pgbenchDurationS = number(
      '--pgbench-duration',
      values['pgbench-duration'],
      defaults.pgbenchDurationS,
      {
        min: 1,
        integer: true,
      },
    );
    const ratesPerSecond =
      values.rates === undefined
        ? defaults.rates
        : values.rates
            .split(',')
            .map((rate) => rate.trim())
            .filter((rate) => rate !== '')
            .map((rate) => number('--rates', rate, 0, { min: 0, exclusive: true }));
    if (concurrency === 0 && ratesPerSecond.length === 0)
      throw new Error('nothing to run: --concurrency 0 and no --rates');
    if (!LOG_LEVELS.includes(values['log-level']))
      throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
    return {
      kind: 'bench',
      logLevel: values['log-level'],
      serviceEnv: mergeServiceEnv(benchRetention(values), parseServiceEnv(values['service-env'] ?? [])),
      outDir: outDir('bench'),
      cpuProfileDir: values['cpu-profile'] ? path.join(outDir('bench'), 'cpu-profiles') : null,
      plan: {
        durationS,
        warmupS,
        concurrency,
        ratesPerSecond,
        accounts,
        settleTimeoutS,
        pgbench: values['no-pgbench']
          ? null
          : { binary: values.pgbench, durationS: pgbenchDurationS, ...PGBENCH },
        maxSockets: Math.max(256, concurrency),
        prefill: prefillOf(values),
      },
    };
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      rates: { type: 'string' },
      accounts: { type: 'string' },
      'settle-timeout': { type: 'string' },
      'pgbench-duration': { type: 'string' },
      pgbench: { type: 'string', default: 'pgbench' },
      'no-pgbench': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'warn' },
      'service-env': { type: 'string', multiple: true },
      // No default: the soak and the flows refuse it when given (undefined is "not given").
      'cpu-profile': { type: 'boolean' },
      out: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      soak: { type: 'string' },
      flows: { type: 'boolean', default: false },
      rate: { type: 'string' },
      'retention-window': { type: 'string' },
      'retention-interval': { type: 'string' },
      'sample-every': { type: 'string' },
      tolerance: { type: 'string' },
      prefill: { type: 'string' },
      'prefill-days': { type: 'string' },
    },
  }).values;
}

function soakPlan(values: ReturnType<typeof parseFlags>): SoakPlan {
  // --smoke: SOAK_SMOKE's small numbers; the duration is always --soak's.
  const misplaced = NOT_FOR_SOAK.find((flag) => values[flag] !== undefined);
  if (misplaced) throw new Error(`--${misplaced} does not apply to --soak (it runs one steady --rate)`);
  if (values['no-pgbench'] || values.pgbench !== 'pgbench')
    throw new Error('--soak runs no pgbench baseline: leave out --pgbench and --no-pgbench');
  const defaults = values.smoke ? SOAK_SMOKE : SOAK;
  const durationS = parseDurationS('--soak', values.soak ?? '');
  return {
    durationS,
    ratePerSecond: number('--rate', values.rate, defaults.ratePerSecond, { min: 0, exclusive: true }),
    ...retentionOf(values, defaults),
    sampleEveryS: optionalDuration('--sample-every', values['sample-every'], defaults.sampleEveryS),
    tolerance: number('--tolerance', values.tolerance, defaults.tolerance, { min: 0, exclusive: true }),
    accounts: number('--accounts', values.accounts, defaults.accounts, { min: 2, integer: true }),
    settleTimeoutS: number('--settle-timeout', values['settle-timeout'], defaults.settleTimeoutS, {
      min: 0,
      exclusive: true,
    }),
  };
}

function flowsPlan(values: ReturnType<typeof parseFlags>): FlowsPlan {
  const misplaced = NOT_FOR_FLOWS.find((flag) => values[flag] !== undefined);
  if (misplaced) throw new Error(`--${misplaced} does not apply to --flows (it runs one --rate, twice)`);
  if (values['no-pgbench'] || values.pgbench !== 'pgbench')
    throw new Error('--flows runs no pgbench baseline: leave out --pgbench and --no-pgbench');
  const defaults = values.smoke ? FLOWS_SMOKE : FLOWS;
  return {
    ratePerSecond: number('--rate', values.rate, defaults.ratePerSecond, { min: 0, exclusive: true }),
    warmupS: number('--warmup', values.warmup, defaults.warmupS, { min: 0 }),
    durationS: number('--duration', values.duration, defaults.durationS, { min: 0, exclusive: true }),
    accounts: number('--accounts', values.accounts, defaults.accounts, { min: 2, integer: true }),
    settleTimeoutS: number('--settle-timeout', values['settle-timeout'], defaults.settleTimeoutS, {
      min: 0,
      exclusive: true,
    }),
    pollIntervalMs: defaults.pollIntervalMs,
  };
}

/** --prefill and --prefill-days, checked; null without --prefill. */
function prefillOf(values: ReturnType<typeof parseFlags>): BenchPlan['prefill'] {
  if (values.prefill === undefined) {
    if (values['prefill-days'] !== undefined) throw new Error('--prefill-days needs --prefill');
    return null;
  }
  return {
    transfers: number('--prefill', values.prefill, 0, { min: 0, exclusive: true, integer: true }),
    historyDays: number('--prefill-days', values['prefill-days'], PREFILL_DAYS, { min: 0, exclusive: true }),
  };
}

/**
 * The benchmark with --retention-window: a stack of its own whose retention deletes the live traffic
 * a window behind it, to measure what steady deleting costs the hot path. Without it, none.
 */
function benchRetention(values: ReturnType<typeof parseFlags>): Record<string, string> {
  if (values['retention-window'] === undefined) {
    if (values['retention-interval'] !== undefined)
      throw new Error('--retention-interval needs --retention-window (or --soak)');
    return {};
  }
  return retentionEnv(retentionOf(values, SOAK));
}

/** --service-env's KEY=VALUE pairs; a malformed one, or a variable given twice, is a usage error. */
export function parseServiceEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) throw new Error(`--service-env must be KEY=VALUE (an environment variable), got "${pair}"`);
    const [, key, value] = match as unknown as [string, string, string];
    if (key in env) throw new Error(`--service-env sets ${key} twice`);
    env[key] = value;
  }
  return env;
}

/** The retention flags' variables and --service-env's; one variable set by both is a usage error. */
function mergeServiceEnv(
  retention: Record<string, string>,
  given: Record<string, string>,
): Record<string, string> {
  const clash = Object.keys(given).find((key) => key in retention);
  if (clash) throw new Error(`--service-env sets ${clash}, which --retention-window already sets`);
  return { ...retention, ...given };
}

/** --retention-window and --retention-interval, checked: the services take whole seconds, at least 1 s apart. */
function retentionOf(
  values: ReturnType<typeof parseFlags>,
  defaults: { retentionWindowS: number; retentionIntervalS: number },
): { retentionWindowS: number; retentionIntervalS: number } {
  const retentionWindowS = optionalDuration(
    '--retention-window',
    values['retention-window'],
    defaults.retentionWindowS,
  );
  const retentionIntervalS = optionalDuration(
    '--retention-interval',
    values['retention-interval'],
    defaults.retentionIntervalS,
  );
  if (!Number.isInteger(retentionWindowS) || retentionWindowS < 1)
    throw new Error(`--retention-window must be a whole number of seconds >= 1, got ${retentionWindowS}`);
  if (retentionIntervalS < 1)
    throw new Error(`--retention-interval must be at least 1 s, got ${retentionIntervalS}`);
  return { retentionWindowS, retentionIntervalS };
}

/** The services' variables for a retention window and interval in seconds. */
export function retentionEnv(plan: {
  retentionWindowS: number;
  retentionIntervalS: number;
}): Record<string, string> {
  return {
    SOAK_RETENTION_SECONDS: String(plan.retentionWindowS),
    RETENTION_INTERVAL_MS: String(Math.round(plan.retentionIntervalS * 1000)),
  };
}

function optionalDuration(flag: string, raw: string | undefined, fallback: number): number {
  return raw === undefined ? fallback : parseDurationS(flag, raw);
}

/** `90`, `90s`, `10m`, `1.5h`: seconds, > 0; anything else is a usage error. */
export function parseDurationS(flag: string, raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(raw);
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] ?? 's']! : Number.NaN;
  if (!(seconds > 0)) throw new Error(`${flag} must be a duration such as 90s, 10m or 1h, got "${raw}"`);
  return seconds;
}

/** The flag's number (or the default when absent); throws a usage message when it is out of range. */
function number(
  flag: string,
  raw: string | undefined,
  fallback: number,
  rule: { min: number; exclusive?: boolean; integer?: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    (rule.exclusive ? value > rule.min : value >= rule.min) &&
    (!rule.integer || Number.isInteger(value));
  if (!ok)
    throw new Error(
      `${flag} must be ${rule.integer ? 'an integer' : 'a number'} ${rule.exclusive ? '>' : '>='} ${rule.min}, got "${raw}"`,
    );
  return value;
}
