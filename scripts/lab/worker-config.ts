// What the lab driver tells one consumer process, passed as JSON in one environment variable, and the
// messages the process sends back over its IPC channel.
import { z } from 'zod';
import { CRASH_POINTS, LAB_MODES } from './modes';
import { LAB_ROLES } from './plan';

export const WORKER_CONFIG_ENV = 'ONCEPAY_LAB_WORKER';

const workerConfigSchema = z
  .object({
    role: z.enum(LAB_ROLES),
    mode: z.enum(LAB_MODES),
    databaseUrl: z.string().min(1),
    brokers: z.array(z.string().min(1)).min(1),
    groupId: z.string().min(1),
    /** The topic consumed. */
    topic: z.string().min(1),
    /** Where the ledger publishes its answers; null for the notifier. */
    outcomesTopic: z.string().min(1).nullable(),
    /** Kafka's minimum by default (group.min.session.timeout.ms): a killed member is noticed that fast. */
    sessionTimeoutMs: z.number().int().positive(),
    /** The faults still to happen, by the transfer id the process will see in a message. */
    faults: z.array(z.object({ id: z.string(), transferId: z.uuid(), point: z.enum(CRASH_POINTS) })),
    /** The transfer at whose request the ledger waits for a second member to join (the rebalance fault). */
    rebalanceAt: z.uuid().nullable(),
  })
  .strict();

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

export type WorkerReport =
  /** Consuming: it joined its group. */
  | { type: 'ready' }
  /** About to SIGKILL itself for this scheduled fault. */
  | { type: 'crashing'; faultId: string }
  /** Handled its first message since it started. */
  | { type: 'handled-one' }
  /** At the rebalance fault's message, effect applied, offset not committed: waiting for `resume`. */
  | { type: 'rebalance-point' };

/** What the driver tells a running process. */
export type DriverMessage =
  /** A second member has joined the group: go on with the message in hand. */
  { type: 'resume' };

export function parseWorkerConfig(raw: string | undefined): WorkerConfig {
  if (raw === undefined)
    throw new Error(`${WORKER_CONFIG_ENV} is not set: the lab driver starts this process`);
  return workerConfigSchema.parse(JSON.parse(raw));
}
