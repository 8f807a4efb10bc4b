// `npm run lab`'s arguments. A pure function of argv and the defaults, so a bad flag is a usage error
// (exit 2) before anything starts.
import { parseArgs } from 'node:util';
import { isLabMode, LAB_MODES, type LabMode } from './modes';
import { MAX_SEED } from './random';

export const DEFAULT_TRANSFERS = 200;
export const DEFAULT_CRASHES_PER_POINT = 2;
const MAX_TRANSFERS = 2_000;

export const USAGE = `Usage: npm run lab -- [options]

Runs one seeded plan (transfer requests and a schedule of faults: consumer crashes, lost producer
acknowledgements, a rebalance) once per mode, side by side, on a real Kafka broker and PostgreSQL.
Prints what each mode lost, repeated and misbooked, and writes lab-report.md, lab-report.svg and
lab-report.json. Starts PostgreSQL and Kafka unless they already run.

  --seed <n>         seed of the plan, 0 to ${MAX_SEED} (default: a random one; always printed)
  --transfers <n>    transfer requests, 1 to ${MAX_TRANSFERS} (default ${DEFAULT_TRANSFERS})
  --crashes <n>      crashes of each consumer at each crash point (default ${DEFAULT_CRASHES_PER_POINT});
                     needs --transfers of at least twice as many
  --modes <list>     comma-separated modes to run (default: all), of:
                     ${LAB_MODES.join(', ')}
  --out <dir>        where the report is written (default .oncepay/lab)
  --help             print this help`;

export interface LabCliDefaults {
  randomSeed: () => number;
  outDir: string;
}

export type LabCliOptions =
  | {
      kind: 'lab';
      seed: number;
      transfers: number;
      crashesPerPoint: number;
      /** In LAB_MODES order, each once. */
      modes: LabMode[];
      outDir: string;
    }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

export function parseCliOptions(argv: string[], defaults: LabCliDefaults): LabCliOptions {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { kind: 'help' };
  const seed = integerIn('--seed', values.seed, 0, MAX_SEED);
  if (typeof seed === 'string') return usageError(seed);
  const transfers = integerIn('--transfers', values.transfers, 1, MAX_TRANSFERS);
  if (typeof transfers === 'string') return usageError(transfers);
  const crashes = integerIn('--crashes', values.crashes, 0, MAX_TRANSFERS);
  if (typeof crashes === 'string') return usageError(crashes);
  const modes = modeList(values.modes);
  if (typeof modes === 'string') return usageError(modes);
  const options = {
    kind: 'lab' as const,
    seed: seed ?? defaults.randomSeed(),
    transfers: transfers ?? DEFAULT_TRANSFERS,
    crashesPerPoint: crashes ?? DEFAULT_CRASHES_PER_POINT,
    modes,
    outDir: values.out ?? defaults.outDir,
  };
  if (options.crashesPerPoint * 2 > options.transfers)
    return usageError(
      `--crashes ${options.crashesPerPoint} crashes each consumer ${options.crashesPerPoint * 2} times, ` +
        `at distinct transfers: --transfers must be at least ${options.crashesPerPoint * 2}`,
    );
  return options;
}

function usageError(message: string): LabCliOptions {
  return { kind: 'usage-error', message };
}

/** Throws on an unknown flag or a missing value: a usage error. */
function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      seed: { type: 'string' },
      transfers: { type: 'string' },
      crashes: { type: 'string' },
      modes: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }).values;
}

/** The modes named, in LAB_MODES order; all of them when the flag is absent; or the usage error. */
function modeList(raw: string | undefined): LabMode[] | string {
  if (raw === undefined) return [...LAB_MODES];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isLabMode(name));
  if (unknown.length > 0 || names.length === 0)
    return `--modes takes a comma-separated list of ${LAB_MODES.join(', ')}; unknown: "${unknown.join('", "')}"`;
  return LAB_MODES.filter((mode) => names.includes(mode));
}

/** The integer, undefined when the flag is absent, or the usage error as a string. */
function integerIn(
  flag: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined | string {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max)
    return `${flag} must be an integer from ${min} to ${max}, got "${raw}"`;
  return value;
}
