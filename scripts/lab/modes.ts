// The consumer and producer disciplines the lab compares. All but one are wrong on purpose, so they
// live here, in scripts/lab, and nowhere else: no package or app imports this folder (eslint.config.js
// forbids it), so no service configuration can reach them. OncePay's services have one discipline
// only, ConsumerRunner's (packages/messaging/src/consumer-runner.ts) with answers through the outbox
// (packages/messaging/src/outbox-relay.ts), which is the lab's `effectively-once`.

export const LAB_MODES = [
  'at-most-once',
  'at-least-once',
  'effectively-once',
  'dual-write',
  'non-idempotent-producer',
  'kafka-transactions',
] as const;
export type LabMode = (typeof LAB_MODES)[number];

export function isLabMode(value: string): value is LabMode {
  return (LAB_MODES as readonly string[]).includes(value);
}

/** Where a scheduled crash kills a consumer while it handles one message. */
export const CRASH_POINTS = ['before-effect', 'after-effect'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** When a consumer commits its offset: before its effect (at-most-once) or after it. */
export type OffsetCommit = 'before-effect' | 'after-effect';

/**
 * How the ledger publishes its answer (the TransferCompleted):
 * - `every-delivery`: straight to Kafka after the effect, on every delivery of the request;
 * - `outbox`: as a row in the effect's own transaction, sent by a relay step (OncePay's way);
 * - `fresh-only`: straight to Kafka after the effect committed, only when the dedup found the request
 *   new (a naive dual write);
 * - `kafka-transaction`: in a Kafka transaction with the request's offset, the posting outside it.
 */
export type AnswerPath = 'every-delivery' | 'outbox' | 'fresh-only' | 'kafka-transaction';

export interface ModeDesign {
  label: string;
  description: string;
  /** Who publishes the transfer requests: OncePay's IdempotentProducer, or kafkajs with idempotence off. */
  requestProducer: 'idempotent' | 'not-idempotent';
  ledger: { offsets: OffsetCommit | 'in-kafka-transaction'; dedup: boolean; answer: AnswerPath };
  notifier: { offsets: OffsetCommit; dedup: boolean };
}

export const MODE_DESIGNS: Record<LabMode, ModeDesign> = {
  'at-most-once': {
    label: 'at-most-once',
    description:
      'commits the offset as soon as a message arrives, then applies its effect: a crash before the effect loses the message',
    requestProducer: 'idempotent',
    ledger: { offsets: 'before-effect', dedup: false, answer: 'every-delivery' },
    notifier: { offsets: 'before-effect', dedup: false },
  },
  'at-least-once': {
    label: 'at-least-once, no dedup',
    description:
      'applies the effect, then commits the offset, and keeps no record of what it applied: a crash between the two applies the redelivered message again',
    requestProducer: 'idempotent',
    ledger: { offsets: 'after-effect', dedup: false, answer: 'every-delivery' },
    notifier: { offsets: 'after-effect', dedup: false },
  },
  'effectively-once': {
    label: 'effectively-once (OncePay)',
    description:
      "records the message id in the effect's own transaction (`handleOnce`), with the ledger's answer as an outbox row in that same transaction, sent by a relay step, then commits the offset: a redelivered message is recognised and skipped, and no answer is lost or sent twice",
    requestProducer: 'idempotent',
    ledger: { offsets: 'after-effect', dedup: true, answer: 'outbox' },
    notifier: { offsets: 'after-effect', dedup: true },
  },
  'dual-write': {
    label: 'dual write, no outbox',
    description:
      'deduplicates like OncePay, but the ledger commits its posting and then sends its answer straight to Kafka, only for a request it had not seen: a crash between the commit and the send loses the answer for good',
    requestProducer: 'idempotent',
    ledger: { offsets: 'after-effect', dedup: true, answer: 'fresh-only' },
    notifier: { offsets: 'after-effect', dedup: true },
  },
  'non-idempotent-producer': {
    label: 'producer without idempotence',
    description:
      'publishes the requests with a kafkajs producer whose idempotence is off, so a retry after a lost acknowledgement appends the batch again; the consumers keep no dedup record, so a request on the topic twice is posted twice',
    requestProducer: 'not-idempotent',
    ledger: { offsets: 'after-effect', dedup: false, answer: 'every-delivery' },
    notifier: { offsets: 'after-effect', dedup: false },
  },
  'kafka-transactions': {
    label: 'Kafka transactions',
    description:
      "the ledger sends its answer and the request's offset in one Kafka transaction and the notifier reads only committed messages: the answers are exactly-once, but the posting, a database write outside the transaction with no dedup, is applied again when an aborted transaction's request is redelivered",
    requestProducer: 'idempotent',
    ledger: { offsets: 'in-kafka-transaction', dedup: false, answer: 'kafka-transaction' },
    // The notification is a database effect too, which a Kafka transaction cannot cover: OncePay's dedup.
    notifier: { offsets: 'after-effect', dedup: true },
  },
};

/** One delivery's steps; `deliver` decides their order. */
export interface DeliverySteps {
  commitOffset(): Promise<void>;
  /** The effect, deduplicated or not as the mode says. */
  applyEffect(): Promise<void>;
  /** Where the fault schedule may kill the process. */
  crashPoint(point: CrashPoint): Promise<void>;
  /**
   * What the ledger does with its answer once the effect committed and the crash point passed, when
   * its answer path puts it there: the outbox relay step, or a dual write's send.
   */
  afterEffect?(): Promise<void>;
}

export async function deliver(offsets: OffsetCommit, steps: DeliverySteps): Promise<void> {
  if (offsets === 'before-effect') {
    // Acknowledged before anything durable happened: from here on, a crash is a loss.
    await steps.commitOffset();
    await steps.crashPoint('before-effect');
    await steps.applyEffect();
    await steps.crashPoint('after-effect');
    await steps.afterEffect?.();
    return;
  }
  // The offset moves only after the effect committed, so a crash anywhere before the commit
  // redelivers the message. Whether that repeats the effect is the dedup's business.
  await steps.crashPoint('before-effect');
  await steps.applyEffect();
  await steps.crashPoint('after-effect');
  await steps.afterEffect?.();
  await steps.commitOffset();
}
