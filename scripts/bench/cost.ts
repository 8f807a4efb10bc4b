// What one completed transfer (or flow) costs, from what a phase measured. Two divisors, because the
// two kinds of reading cover different stretches of time:
// - CPU comes from the sampler's measured window only (the warm-up and the settling are left out), so
//   it is divided by the transfers that COMPLETED inside that window;
// - rows, WAL and Kafka come from cumulative counters, which can only be read exactly on a quiet server
//   (db-counters.ts, QUIET_MS): once before the phase and once after it settled, so they cover the whole
//   phase (warm-up, window, settling, notifications) and are divided by every transfer of the phase
//   that completed. A transfer that FAILED, or a request refused, costs something too and completes
//   nothing: its cost is carried by the completed ones.
import type { CounterDelta } from './db-counters';
import type { ProcessUsage } from './process-sampler';

export interface UnitCostInput {
  /** CPU over the measured window, per process. */
  processes: ProcessUsage[];
  /** Completed inside the measured window: the divisor of CPU. */
  completedInWindow: number;
  /** Completed over the whole phase: the divisor of everything else. */
  completedInPhase: number;
  database: CounterDelta;
  /** Kafka messages written over the phase. */
  messages: number;
  /** Kafka log bytes written over the phase; null when not measured. */
  kafkaBytes: number | null;
}

/** Per completed transfer (or flow); null where nothing completed or nothing was measured. */
export interface UnitCosts {
  cpuMsByProcess: Record<string, number | null>;
  cpuMsTotal: number | null;
  rowsByDatabase: Record<
    string,
    { inserted: number; updated: number; deleted: number; written: number } | null
  >;
  rowsTotal: number | null;
  walBytes: number | null;
  walRecords: number | null;
  messages: number | null;
  kafkaBytes: number | null;
}

export function unitCosts(input: UnitCostInput): UnitCosts {
  const perWindow = (value: number): number | null =>
    input.completedInWindow > 0 ? value / input.completedInWindow : null;
  const perPhase = (value: number): number | null =>
    input.completedInPhase > 0 ? value / input.completedInPhase : null;
  const cpuMsByProcess: Record<string, number | null> = {};
  for (const usage of input.processes) cpuMsByProcess[usage.name] = perWindow(usage.cpuSeconds * 1000);
  const rowsByDatabase: UnitCosts['rowsByDatabase'] = {};
  for (const [name, counters] of Object.entries(input.database.databases))
    rowsByDatabase[name] =
      input.completedInPhase > 0
        ? {
            inserted: counters.inserted / input.completedInPhase,
            updated: counters.updated / input.completedInPhase,
            deleted: counters.deleted / input.completedInPhase,
            written: counters.rowsWritten / input.completedInPhase,
          }
        : null;
  return {
    cpuMsByProcess,
    cpuMsTotal: perWindow(sum(input.processes.map((usage) => usage.cpuSeconds * 1000))),
    rowsByDatabase,
    rowsTotal: perPhase(sum(Object.values(input.database.databases).map((counters) => counters.rowsWritten))),
    walBytes: perPhase(input.database.walBytes),
    walRecords: perPhase(input.database.walRecords),
    messages: perPhase(input.messages),
    kafkaBytes: input.kafkaBytes === null ? null : perPhase(input.kafkaBytes),
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
