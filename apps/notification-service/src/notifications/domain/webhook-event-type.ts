// The webhook event types a receiver sees, and which one a notification is. Pure, so the global
// webhook channel and the per-client endpoints name every event the same way.
import type { NotificationBody } from './notification';

export const WEBHOOK_EVENT_TYPES = [
  'transfer.completed',
  'transfer.failed',
  'transfer.refunded',
  'hold.captured',
  'hold.voided',
  'hold.expired',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** A completed refund is `transfer.refunded`; a failed one is `transfer.failed` like any failure. */
export function webhookEventTypeOf(body: Pick<NotificationBody, 'outcome' | 'refundOf'>): WebhookEventType {
  switch (body.outcome) {
    case 'COMPLETED':
      return body.refundOf === undefined ? 'transfer.completed' : 'transfer.refunded';
    case 'FAILED':
      return 'transfer.failed';
    case 'CAPTURED':
      return 'hold.captured';
    case 'VOIDED':
      return 'hold.voided';
    case 'EXPIRED':
      return 'hold.expired';
    default: {
      const unreachable: never = body.outcome;
      return unreachable;
    }
  }
}
