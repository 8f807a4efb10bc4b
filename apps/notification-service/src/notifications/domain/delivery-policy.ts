// What happens to a notification after a delivery attempt: a pure decision over the attempt's result,
// so the retry rules are read and tested without a database, a clock or a channel.
import type { DeliveryResult } from './notification-channel.port';

export interface DeliveryPolicy {
  /** Attempts allowed per notification, the first one included. */
  maxAttempts: number;
  /** Delay before the attempt after `attemptNumber` (capped exponential backoff, supplied by the caller). */
  retryDelayMs(attemptNumber: number): number;
}

/**
 * `DELIVERED`: done. `PENDING`: try again in `retryInMs`.
 * `GAVE_UP`: stop; `non_retriable` when retrying cannot help, `max_attempts` when the budget is spent.
 */
export type NextStep =
  | { status: 'DELIVERED' }
  | { status: 'PENDING'; retryInMs: number }
  | { status: 'GAVE_UP'; because: 'non_retriable' | 'max_attempts' };

export function nextStepAfter(
  result: DeliveryResult,
  attemptNumber: number,
  policy: DeliveryPolicy,
): NextStep {
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1 || attemptNumber > policy.maxAttempts) {
    throw new RangeError(`attempt ${attemptNumber} is outside 1..${policy.maxAttempts}`);
  }
  switch (result.outcome) {
    case 'delivered':
      return { status: 'DELIVERED' };
    case 'failed':
      if (!result.retriable) return { status: 'GAVE_UP', because: 'non_retriable' };
      if (attemptNumber >= policy.maxAttempts) return { status: 'GAVE_UP', because: 'max_attempts' };
      return { status: 'PENDING', retryInMs: Math.max(0, Math.round(policy.retryDelayMs(attemptNumber))) };
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}
