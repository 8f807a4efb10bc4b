// Proves a final-outcome event becomes the documented notification body: amount as a string, the
// ledger's reason only on a failure, and a body that passes the schema it is read back with.
import { createEvent } from '@oncepay/contracts';
import { sampleTransferCompleted, sampleTransferFailed } from '@oncepay/test-support';
import { notificationBodySchema } from './notification';
import { notificationBodyOf } from './notification-body';

describe('notificationBodyOf', () => {
  it('describes a completed transfer', () => {
    const event = sampleTransferCompleted({ amountMinor: 9_223_372_036_854_775_807n });
    const body = notificationBodyOf(event);
    expect(body).toEqual({
      transferId: event.payload.transferId,
      outcome: 'COMPLETED',
      amount: '9223372036854775807',
      currency: 'EUR',
      fromAccountId: event.payload.fromAccountId,
      toAccountId: event.payload.toAccountId,
      reason: null,
      occurredAt: event.occurredAt,
    });
    expect(notificationBodySchema.parse(body)).toEqual(body);
  });

  it('marks a refund with the payment it pays back, and nothing else', () => {
    const refundOf = '0b4f0a4e-5f4c-4c52-9f53-5a1c5e1d2a11';
    const event = sampleTransferCompleted();
    const refund = { ...event, payload: { ...event.payload, refundOf } };
    const body = notificationBodyOf(refund);
    expect(body).toMatchObject({ outcome: 'COMPLETED', refundOf, reason: null });
    expect(body).not.toHaveProperty('capturedAmount');
    expect(notificationBodyOf(event)).not.toHaveProperty('refundOf');
    expect(notificationBodySchema.parse(body)).toEqual(body);
  });

  it('carries the amount captured of a captured hold, beside the amount held', () => {
    const completed = sampleTransferCompleted({ amountMinor: 5_000n });
    const captured = createEvent(
      'TransferCaptured',
      { ...completed.payload, holdExpiresAt: '2026-12-01T00:00:00.000Z', captureAmountMinor: 3_000n },
      { ...completed, occurredAt: new Date(completed.occurredAt) },
    );
    const body = notificationBodyOf(captured);
    expect(body).toMatchObject({ outcome: 'CAPTURED', amount: '5000', capturedAmount: '3000', reason: null });
    expect(notificationBodySchema.parse(body)).toEqual(body);
  });

  it.each(['TransferVoided', 'TransferExpired'] as const)('describes a %s hold', (type) => {
    const completed = sampleTransferCompleted();
    const event = createEvent(
      type,
      { ...completed.payload, holdExpiresAt: '2026-12-01T00:00:00.000Z' },
      { ...completed, occurredAt: new Date(completed.occurredAt) },
    );
    expect(notificationBodyOf(event).outcome).toBe(type === 'TransferVoided' ? 'VOIDED' : 'EXPIRED');
  });

  it('carries the reason of a failed transfer', () => {
    const body = notificationBodyOf(sampleTransferFailed({ reason: 'CURRENCY_MISMATCH' }));
    expect(body).toMatchObject({ outcome: 'FAILED', reason: 'CURRENCY_MISMATCH' });
    expect(notificationBodySchema.safeParse(body).success).toBe(true);
  });
});
