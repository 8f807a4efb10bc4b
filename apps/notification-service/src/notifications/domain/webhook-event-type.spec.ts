// Proves each final outcome is sent as its documented webhook event type, a completed refund as
// transfer.refunded and a failed one as transfer.failed.
import { webhookEventTypeOf } from './webhook-event-type';

describe('webhookEventTypeOf', () => {
  it.each([
    [{ outcome: 'COMPLETED' as const }, 'transfer.completed'],
    [
      { outcome: 'COMPLETED' as const, refundOf: '0b4f0a4e-5f4c-4c52-9f53-5a1c5e1d2a11' },
      'transfer.refunded',
    ],
    [{ outcome: 'FAILED' as const }, 'transfer.failed'],
    [{ outcome: 'FAILED' as const, refundOf: '0b4f0a4e-5f4c-4c52-9f53-5a1c5e1d2a11' }, 'transfer.failed'],
    [{ outcome: 'CAPTURED' as const }, 'hold.captured'],
    [{ outcome: 'VOIDED' as const }, 'hold.voided'],
    [{ outcome: 'EXPIRED' as const }, 'hold.expired'],
  ])('%o is %s', (body, type) => {
    expect(webhookEventTypeOf(body)).toBe(type);
  });
});
