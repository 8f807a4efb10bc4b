// The delivery-semantics lab: one seeded plan (transfers and fault schedule), run once per mode on the
// real broker and database, and the tally of each run. The runs are independent (a database, topics
// and consumer groups of their own), so they run side by side: most of a run's time is spent waiting
// for Kafka to notice a killed consumer, and six runs wait as fast as one.
import { randomBytes } from 'node:crypto';
import { LAB_MODES, type LabMode } from './modes';
import { planLab, type LabPlan, type PlanOptions } from './plan';
import { runMode, type LabInfra, type ModeResult } from './run-mode';

/** Kafka's default group.min.session.timeout.ms: the fastest a broker lets a dead member go. */
export const MIN_SESSION_TIMEOUT_MS = 6_000;
export const LAB_PARTITIONS = 2;

export interface LabOptions extends PlanOptions {
  infra: LabInfra;
  /** Default: all of LAB_MODES. */
  modes?: readonly LabMode[];
  /** Per mode; default 5 minutes. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface LabResult {
  plan: LabPlan;
  /** Names this run's databases, topics and consumer groups (see labNames). */
  runId: string;
  partitions: number;
  /** One per mode run, in LAB_MODES order. */
  results: ModeResult[];
}

export async function runLab(options: LabOptions): Promise<LabResult> {
  const plan = planLab(options);
  const runId = randomBytes(3).toString('hex');
  const log = options.log ?? (() => undefined);
  const runs = await Promise.allSettled(
    LAB_MODES.filter((mode) => options.modes?.includes(mode) ?? true).map((mode) =>
      runMode({
        mode,
        plan,
        runId,
        infra: options.infra,
        partitions: LAB_PARTITIONS,
        sessionTimeoutMs: MIN_SESSION_TIMEOUT_MS,
        timeoutMs: options.timeoutMs ?? 5 * 60_000,
        log: (line) => log(`[${mode}] ${line}`),
      }),
    ),
  );
  const failures = runs.flatMap((run) => (run.status === 'rejected' ? [run.reason as unknown] : []));
  if (failures.length > 0)
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'lab runs failed');
  return {
    plan,
    runId,
    partitions: LAB_PARTITIONS,
    results: runs.flatMap((run) => (run.status === 'fulfilled' ? [run.value] : [])),
  };
}
