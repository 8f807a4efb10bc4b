// The SQL of the deliver-webhooks use case, the same shape as deliver-notifications' (see
// delivery.repository.ts for why a claim is a lease and why a pass is recorded by one fenced
// statement): claim due deliveries with what sending them needs (the endpoint's URL and live secrets,
// the notification's body), record every attempt, give up on one that cannot be sent.
import type { SqlExecutor } from '@oncepay/sql';
import type { NextStep } from '../../notifications/domain/delivery-policy';
import type { DeliveryResult } from '../../notifications/domain/notification-channel.port';

export interface ClaimedWebhookDelivery {
  id: string;
  notificationId: string;
  eventType: string;
  url: string;
  endpointEnabled: boolean;
  /** The endpoint's secrets live at the claim, newest first: each signs the attempt. */
  secrets: string[];
  payload: unknown;
  attemptNumber: number;
}

export interface WebhookAttemptRecord {
  deliveryId: string;
  attemptNumber: number;
  attemptedAt: Date;
  result: DeliveryResult;
  next: NextStep;
}

export type RecordOutcome = 'recorded' | 'claim_lost';

export class WebhookDeliveryRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** Claims at most `batchSize` due deliveries for `leaseMs`, oldest due first. */
  async claimDue(batchSize: number, leaseMs: number): Promise<ClaimedWebhookDelivery[]> {
    const rows = await this.db.query<
      {
        id: string;
        notification_id: string;
        event_type: string;
        url: string;
        enabled: boolean;
        secrets: string[];
        payload: unknown;
        attempts: number;
      }[]
    >(
      `UPDATE webhook_deliveries AS d
          SET attempts = d.attempts + 1,
              next_attempt_at = now() + ($2::int * interval '1 millisecond')
         FROM (SELECT id FROM webhook_deliveries
                WHERE status = 'PENDING' AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1::int
                FOR UPDATE SKIP LOCKED) AS due,
              webhook_endpoints AS e,
              notifications AS n
        WHERE d.id = due.id AND e.id = d.endpoint_id AND n.id = d.notification_id
    RETURNING d.id::text AS id, d.notification_id::text AS notification_id, d.event_type, e.url, e.enabled,
              ARRAY(SELECT s.secret FROM webhook_secrets AS s
                     WHERE s.endpoint_id = e.id AND (s.expires_at IS NULL OR s.expires_at > now())
                     ORDER BY s.id DESC) AS secrets,
              n.payload, d.attempts`,
      batchSize,
      leaseMs,
    );
    return rows.map((row) => ({
      id: row.id,
      notificationId: row.notification_id,
      eventType: row.event_type,
      url: row.url,
      endpointEnabled: row.enabled,
      secrets: row.secrets,
      payload: row.payload,
      attemptNumber: row.attempts,
    }));
  }

  /** Records a pass's attempts in ONE statement, fenced on each delivery's attempt number. */
  async recordAttempts(records: readonly WebhookAttemptRecord[]): Promise<RecordOutcome[]> {
    if (records.length === 0) return [];
    const ids = records.map((record) => record.deliveryId.toLowerCase());
    if (new Set(ids).size !== ids.length) throw new Error('recordAttempts was given a delivery twice');
    const rows = await this.db.query<{ id: string }[]>(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::notification_status[], $4::text[], $5::int[],
                              $6::timestamptz[], $7::boolean[], $8::int[])
                  AS input (id, attempt_number, status, error, retry_in_ms, attempted_at, succeeded,
                            response_status)
       ),
       moved AS (
         UPDATE webhook_deliveries AS d
            SET status = input.status,
                last_error = input.error,
                next_attempt_at = CASE WHEN input.status = 'PENDING'
                                       THEN now() + (input.retry_in_ms * interval '1 millisecond')
                                       ELSE d.next_attempt_at END,
                delivered_at = CASE WHEN input.status = 'DELIVERED' THEN now() ELSE NULL END
           FROM input
          WHERE d.id = input.id AND d.status = 'PENDING' AND d.attempts = input.attempt_number
      RETURNING d.id
       ),
       appended AS (
         INSERT INTO webhook_delivery_attempts
                (delivery_id, attempt_number, attempted_at, succeeded, error, response_status)
         SELECT input.id, input.attempt_number, input.attempted_at, input.succeeded, input.error,
                input.response_status
           FROM input JOIN moved ON moved.id = input.id
       )
       SELECT id::text AS id FROM moved`,
      ids,
      records.map((record) => record.attemptNumber),
      records.map((record) => record.next.status),
      records.map((record) => (record.result.outcome === 'failed' ? record.result.error : null)),
      records.map((record) => (record.next.status === 'PENDING' ? record.next.retryInMs : 0)),
      records.map((record) => record.attemptedAt.toISOString()),
      records.map((record) => record.result.outcome === 'delivered'),
      records.map((record) => record.result.responseStatus ?? null),
    );
    const moved = new Set(rows.map((row) => row.id));
    return ids.map((id) => (moved.has(id) ? 'recorded' : 'claim_lost'));
  }

  /** Gives a claimed delivery up without sending it (no attempt row: nothing was attempted). */
  async giveUp(deliveryId: string, attemptNumber: number, reason: string): Promise<RecordOutcome> {
    const moved = await this.db.execute(
      `UPDATE webhook_deliveries SET status = 'GAVE_UP', last_error = $3
        WHERE id = $1::uuid AND status = 'PENDING' AND attempts = $2::int`,
      deliveryId,
      attemptNumber,
      reason,
    );
    return moved === 0 ? 'claim_lost' : 'recorded';
  }
}
