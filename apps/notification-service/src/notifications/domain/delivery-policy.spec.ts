// Proves the retry rules: delivered ends it, a non-retriable failure gives up at once, a retriable one is
// retried with the supplied backoff until the attempt budget is spent, and impossible attempt numbers are refused.
import { nextStepAfter, type DeliveryPolicy } from './delivery-policy';
import type { DeliveryResult } from './notification-channel.port';

const policy: DeliveryPolicy = { maxAttempts: 3, retryDelayMs: (attempt) => 100 * 2 ** (attempt - 1) };
const retriable: DeliveryResult = {
  outcome: 'failed',
  retriable: true,
  error: 'HTTP 503',
  responseStatus: 503,
};
const permanent: DeliveryResult = {
  outcome: 'failed',
  retriable: false,
  error: 'HTTP 400',
  responseStatus: 400,
};

describe('nextStepAfter', () => {
  it('marks a delivered attempt DELIVERED, even the last one', () => {
    expect(nextStepAfter({ outcome: 'delivered' }, 1, policy)).toEqual({ status: 'DELIVERED' });
    expect(nextStepAfter({ outcome: 'delivered' }, 3, policy)).toEqual({ status: 'DELIVERED' });
  });

  it('gives up at once on a non-retriable failure', () => {
    expect(nextStepAfter(permanent, 1, policy)).toEqual({ status: 'GAVE_UP', because: 'non_retriable' });
  });

  it('retries a retriable failure with the backoff of that attempt', () => {
    expect(nextStepAfter(retriable, 1, policy)).toEqual({ status: 'PENDING', retryInMs: 100 });
    expect(nextStepAfter(retriable, 2, policy)).toEqual({ status: 'PENDING', retryInMs: 200 });
  });

  it('gives up when the last allowed attempt fails', () => {
    expect(nextStepAfter(retriable, 3, policy)).toEqual({ status: 'GAVE_UP', because: 'max_attempts' });
  });

  it('refuses attempt numbers outside 1..maxAttempts', () => {
    expect(() => nextStepAfter(retriable, 0, policy)).toThrow(RangeError);
    expect(() => nextStepAfter(retriable, 4, policy)).toThrow(RangeError);
    expect(() => nextStepAfter(retriable, 1.5, policy)).toThrow(RangeError);
  });
});
