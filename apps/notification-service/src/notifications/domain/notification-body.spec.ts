// Proves a final-outcome event becomes the documented notification body: amount as a string, the
// ledger's reason only on a failure, and a body that passes the schema it is read back with.
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

  it('carries the reason of a failed transfer', () => {
    const body = notificationBodyOf(sampleTransferFailed({ reason: 'CURRENCY_MISMATCH' }));
    expect(body).toMatchObject({ outcome: 'FAILED', reason: 'CURRENCY_MISMATCH' });
    expect(notificationBodySchema.safeParse(body).success).toBe(true);
  });
});
