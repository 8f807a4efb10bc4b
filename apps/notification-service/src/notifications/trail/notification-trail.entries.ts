// The notification-service's own trail entries, from its rows: pure mapping, no I/O.
import type { TrailEntry } from '@oncepay/http-edge';

export interface NotificationTrailRow {
  id: string;
  event_id: string;
  outcome: string;
  status: string;
  attempts: number;
  created_at: Date;
  delivered_at: Date | null;
}

export function notificationEntry(row: NotificationTrailRow): TrailEntry {
  const delivered =
    row.delivered_at === null ? 'not delivered yet' : `delivered at ${row.delivered_at.toISOString()}`;
  return {
    at: row.created_at.toISOString(),
    kind: 'notification',
    summary: `Recorded the ${row.outcome} notification: ${row.status} after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}, ${delivered}.`,
    eventId: row.event_id,
    status: row.status,
  };
}

export interface DeliveryAttemptTrailRow {
  attempt_number: number;
  channel: string;
  attempted_at: Date;
  succeeded: boolean;
  error: string | null;
  response_status: number | null;
}

export function deliveryAttemptEntry(row: DeliveryAttemptTrailRow): TrailEntry {
  const answer = row.response_status === null ? '' : ` (HTTP ${row.response_status})`;
  const result = row.succeeded ? 'succeeded' : `failed: ${row.error ?? 'no reason given'}`;
  return {
    at: row.attempted_at.toISOString(),
    kind: 'delivery-attempt',
    summary: `Delivery attempt ${row.attempt_number} over ${row.channel} ${result}${answer}.`,
    status: row.succeeded ? 'SUCCEEDED' : 'FAILED',
  };
}

export interface WebhookDeliveryTrailRow {
  endpoint_id: string;
  event_type: string;
  status: string;
  attempts: number;
  created_at: Date;
}

export function webhookDeliveryEntry(row: WebhookDeliveryTrailRow): TrailEntry {
  return {
    at: row.created_at.toISOString(),
    kind: 'webhook-delivery',
    summary: `Webhook ${row.event_type} to endpoint ${row.endpoint_id}: ${row.status} after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}.`,
    eventType: row.event_type,
    status: row.status,
  };
}
