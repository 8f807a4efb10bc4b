// Use case: an endpoint's delivery history, newest first, a page at a time (keyset on created_at, id),
// each delivery with every attempt and what the receiver answered. Only the endpoint's owner reads it:
// another client's endpoint is `not_found`, as if it did not exist.
import type { SqlExecutor } from '@oncepay/sql';
import type { NotificationStatus } from '../../notifications/domain/notification';
import { encodeCursor } from '../../notifications/list-notifications/list-notifications.query';
import type { PageQuery } from '../manage-endpoints/webhook-endpoint.requests';

export interface WebhookAttemptView {
  attemptNumber: number;
  attemptedAt: string;
  succeeded: boolean;
  /** The receiver's HTTP status; null when it did not answer. */
  responseStatus: number | null;
  error: string | null;
}

export interface WebhookDeliveryView {
  id: string;
  /** The `webhook-id` the receiver got: the same on every attempt. */
  notificationId: string;
  transferId: string;
  eventType: string;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  attemptLog: WebhookAttemptView[];
}

export interface WebhookDeliveryPage {
  data: WebhookDeliveryView[];
  nextCursor: string | null;
}

export type ListDeliveriesResult =
  { outcome: 'listed'; page: WebhookDeliveryPage } | { outcome: 'not_found' };

interface DeliveryRow {
  id: string;
  notification_id: string;
  transfer_id: string;
  event_type: string;
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
  delivered_at: Date | null;
  attempt_log: {
    attemptNumber: number;
    attemptedAt: string;
    succeeded: boolean;
    responseStatus: number | null;
    error: string | null;
  }[];
}

export class ListDeliveriesHandler {
  constructor(private readonly db: Pick<SqlExecutor, 'query'>) {}

  async execute(clientId: string, endpointId: string, query: PageQuery): Promise<ListDeliveriesResult> {
    const [owned] = await this.db.query<{ id: string }[]>(
      `SELECT id::text AS id FROM webhook_endpoints WHERE id = $1::uuid AND client_id = $2`,
      endpointId,
      clientId,
    );
    if (!owned) return { outcome: 'not_found' };
    // The attempts ride along as one JSON array per delivery: one statement per page.
    const rows = await this.db.query<DeliveryRow[]>(
      `SELECT d.id::text AS id, d.notification_id::text AS notification_id, n.transfer_id::text AS transfer_id,
              d.event_type, d.status::text AS status, d.attempts, d.last_error, d.next_attempt_at,
              d.created_at, d.delivered_at,
              COALESCE((SELECT json_agg(json_build_object(
                                 'attemptNumber', a.attempt_number,
                                 'attemptedAt', to_char(a.attempted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                 'succeeded', a.succeeded,
                                 'responseStatus', a.response_status,
                                 'error', a.error) ORDER BY a.attempt_number)
                          FROM webhook_delivery_attempts AS a WHERE a.delivery_id = d.id), '[]'::json) AS attempt_log
         FROM webhook_deliveries AS d JOIN notifications AS n ON n.id = d.notification_id
        WHERE d.endpoint_id = $1::uuid
          AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2::timestamptz, $3::uuid))
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT $4::int`,
      endpointId,
      query.cursor?.createdAt.toISOString() ?? null,
      query.cursor?.id ?? null,
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      outcome: 'listed',
      page: {
        data: page.map(viewOf),
        nextCursor:
          rows.length > query.limit && last
            ? encodeCursor({ createdAt: last.created_at, id: last.id })
            : null,
      },
    };
  }
}

function viewOf(row: DeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    notificationId: row.notification_id,
    transferId: row.transfer_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    // Only a PENDING delivery has a next attempt; a settled one keeps its last value, which means nothing.
    nextAttemptAt: row.status === 'PENDING' ? row.next_attempt_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
    attemptLog: row.attempt_log,
  };
}
