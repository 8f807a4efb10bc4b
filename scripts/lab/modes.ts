// The three consumer disciplines the lab compares. Two of them are wrong on purpose, so they live here,
// in scripts/lab, and nowhere else: no package or app imports this folder (eslint.config.js forbids
// it), so no service configuration can reach them. OncePay's services have one discipline only,
// ConsumerRunner's (packages/messaging/src/consumer-runner.ts), which is the lab's `effectively-once`.

export const LAB_MODES = ['at-most-once', 'at-least-once', 'effectively-once'] as const;
export type LabMode = (typeof LAB_MODES)[number];

/** Where a scheduled crash kills a consumer while it handles one message. */
export const CRASH_POINTS = ['before-effect', 'after-effect'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const MODE_LABELS: Record<LabMode, string> = {
  'at-most-once': 'at-most-once',
  'at-least-once': 'at-least-once, no dedup',
  'effectively-once': 'effectively-once (OncePay)',
};

export const MODE_DESCRIPTIONS: Record<LabMode, string> = {
  'at-most-once':
    'commits the offset as soon as a message arrives, then applies its effect: a crash before the effect loses the message',
  'at-least-once':
    'applies the effect, then commits the offset, and keeps no record of what it applied: a crash between the two applies the redelivered message again',
  'effectively-once':
    "records the message id in the effect's own transaction (`handleOnce`), then commits the offset: a redelivered message is recognised and skipped",
};

/** One delivery's steps; `deliver` decides their order, which is all that tells the modes apart. */
export interface DeliverySteps {
  commitOffset(): Promise<void>;
  /** The effect, deduplicated or not as the mode says. */
  applyEffect(): Promise<void>;
  /** Where the fault schedule may kill the process. */
  crashPoint(point: CrashPoint): Promise<void>;
}

export async function deliver(mode: LabMode, steps: DeliverySteps): Promise<void> {
  if (mode === 'at-most-once') {
    // Acknowledged before anything durable happened: from here on, a crash is a loss.
    await steps.commitOffset();
    await steps.crashPoint('before-effect');
    await steps.applyEffect();
    await steps.crashPoint('after-effect');
    return;
  }
  // Both at-least-once modes: the offset moves only after the effect committed, so a crash anywhere
  // before the commit redelivers the message. Whether that repeats the effect is the dedup's business.
  await steps.crashPoint('before-effect');
  await steps.applyEffect();
  await steps.crashPoint('after-effect');
  await steps.commitOffset();
}

/** Whether the mode deduplicates with a processed-messages record (only OncePay's own discipline does). */
export function deduplicates(mode: LabMode): boolean {
  return mode === 'effectively-once';
}
