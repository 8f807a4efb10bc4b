// Proves retry delays grow exponentially, stay within [ceiling/2, ceiling], and never exceed the cap.
import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const policy = { initialMs: 100, maxMs: 5_000 };

  it('doubles the ceiling per attempt, with jitter in its upper half', () => {
    expect(backoffDelayMs(policy, 1, () => 0)).toBe(50);
    expect(backoffDelayMs(policy, 1, () => 1)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 1)).toBe(400);
  });

  it('caps the delay at maxMs however many attempts were made', () => {
    expect(backoffDelayMs(policy, 50, () => 1)).toBe(5_000);
    expect(backoffDelayMs(policy, 1_000, () => 0)).toBe(2_500);
  });
});
