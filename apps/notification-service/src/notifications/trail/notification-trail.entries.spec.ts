// Proves notification-service's own trail entries: the notification with its status and attempts, a
// failed delivery attempt with the receiver's answer, and a webhook delivery per endpoint.
import { deliveryAttemptEntry, notificationEntry, webhookDeliveryEntry } from './notification-trail.entries';

const at = new Date('2026-11-30T10:00:00.000Z');

describe('notification-service trail entries', () => {
  it('states the notification, its status and attempts', () => {
    expect(
      notificationEntry({
        id: 'n',
        event_id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
        outcome: 'COMPLETED',
        status: 'DELIVERED',
        attempts: 1,
        created_at: at,
        delivered_at: new Date('2026-11-30T10:00:00.500Z'),
      }),
    ).toEqual({
      at: '2026-11-30T10:00:00.000Z',
      kind: 'notification',
      summary:
        'Recorded the COMPLETED notification: DELIVERED after 1 attempt, delivered at 2026-11-30T10:00:00.500Z.',
      eventId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
      status: 'DELIVERED',
    });
  });

  it('states a failed attempt with the error and the HTTP status', () => {
    expect(
      deliveryAttemptEntry({
        attempt_number: 2,
        channel: 'webhook',
        attempted_at: at,
        succeeded: false,
        error: 'timeout',
        response_status: 504,
      }),
    ).toMatchObject({
      kind: 'delivery-attempt',
      status: 'FAILED',
      summary: 'Delivery attempt 2 over webhook failed: timeout (HTTP 504).',
    });
  });

  it('states a webhook delivery per endpoint', () => {
    expect(
      webhookDeliveryEntry({
        endpoint_id: 'e',
        event_type: 'transfer.completed',
        status: 'PENDING',
        attempts: 0,
        created_at: at,
      }),
    ).toMatchObject({
      kind: 'webhook-delivery',
      eventType: 'transfer.completed',
      summary: 'Webhook transfer.completed to endpoint e: PENDING after 0 attempts.',
    });
  });
});
