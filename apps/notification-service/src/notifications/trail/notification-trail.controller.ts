// GET /v1/ops/transfers/{transferId}/trail: what notification-service knows of one transfer, in time
// order (docs/adr/0013-the-transfer-trail.md): the outcome it consumed (with where it read it), the
// notification, its delivery attempts, the webhook deliveries and the duplicates it absorbed.
import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import {
  ApiKeyGuard,
  assertTrailReader,
  ClientRole,
  inTimeOrder,
  ZodValidationPipe,
  type Role,
  type Trail,
} from '@oncepay/http-edge';
import {
  absorbedDuplicateEntries,
  capTrailRows,
  consumedEntry,
  PG_DATABASE,
  readConsumedRecords,
  TRAIL_QUERY_LIMIT,
} from '@oncepay/service-runtime';
import type { PgDatabase } from '@oncepay/sql';
import { RECORD_OUTCOME_CONSUMER } from '../record-outcome/record-outcome.handler';
import {
  deliveryAttemptEntry,
  notificationEntry,
  webhookDeliveryEntry,
  type DeliveryAttemptTrailRow,
  type NotificationTrailRow,
  type WebhookDeliveryTrailRow,
} from './notification-trail.entries';

@Controller('v1/ops/transfers')
@UseGuards(ApiKeyGuard)
export class NotificationTrailController {
  constructor(@Inject(PG_DATABASE) private readonly db: PgDatabase) {}

  @Get(':transferId/trail')
  async trail(
    @ClientRole() role: Role,
    @Param('transferId', new ZodValidationPipe(idSchema)) transferId: string,
  ): Promise<Trail> {
    assertTrailReader(role);
    // One notification at most (transfer_id is unique), so one outcome consumed; every other kind at
    // most TRAIL_ROWS_PER_KIND rows, a cut one ending in a `truncated` entry.
    const notifications = await this.db.query<NotificationTrailRow[]>(
      `SELECT id::text, event_id::text, outcome::text, status::text, attempts, created_at, delivered_at
         FROM notifications WHERE transfer_id = $1::uuid`,
      transferId,
    );
    const notificationIds = notifications.map((row) => row.id);
    // The outcome event that created the notification names its dedup record.
    const consumed = await readConsumedRecords(
      this.db,
      RECORD_OUTCOME_CONSUMER,
      notifications.map((row) => row.event_id),
    );
    const attempts = capTrailRows(
      await this.db.query<DeliveryAttemptTrailRow[]>(
        `SELECT attempt_number, channel, attempted_at, succeeded, error, response_status
           FROM delivery_attempts WHERE notification_id = ANY($1::uuid[]) ORDER BY attempt_number LIMIT $2`,
        notificationIds,
        TRAIL_QUERY_LIMIT,
      ),
      'delivery attempts',
      (row) => row.attempted_at,
    );
    const webhooks = capTrailRows(
      await this.db.query<WebhookDeliveryTrailRow[]>(
        `SELECT endpoint_id::text, event_type, status::text, attempts, created_at
           FROM webhook_deliveries WHERE notification_id = ANY($1::uuid[]) ORDER BY created_at, id LIMIT $2`,
        notificationIds,
        TRAIL_QUERY_LIMIT,
      ),
      'webhook deliveries',
      (row) => row.created_at,
    );
    const absorbed = await absorbedDuplicateEntries(this.db, transferId);
    return {
      service: 'notification',
      transferId,
      entries: inTimeOrder([
        ...consumed.map((row) => consumedEntry(row, 'the outcome')),
        ...notifications.map(notificationEntry),
        ...attempts.rows.map(deliveryAttemptEntry),
        ...attempts.truncated,
        ...webhooks.rows.map(webhookDeliveryEntry),
        ...webhooks.truncated,
        ...absorbed,
      ]),
    };
  }
}
