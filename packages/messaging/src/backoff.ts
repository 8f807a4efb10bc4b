// Exponential backoff with full jitter, capped: every retry loop in messaging waits through this.
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Delay before attempt number `attempt` (1 = the first retry). */
export function backoffDelayMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
