// Use case: transfers reached their final outcome; record the one notification that announces each.
// A batch's dedup records and notifications are written in ONE transaction, so a redelivered event (Kafka
// is at-least-once) finds its processed-message row and changes nothing, and a crash between the two
// cannot happen. A second, different event for the same transfer hits the unique transfer_id instead.
// The same transaction creates one webhook delivery per enabled endpoint of the transfer's client that
// subscribed to the event's type, so a notification never exists without its deliveries.
//
// Round trips are what a batch costs, so its notifications and their webhook deliveries are inserted by
// ONE statement before the per-event effects run (`prepare`); each event's result is then read from what
// that statement returned, and only an event whose transfer had its notification before this batch
// costs a SELECT.
import { newId } from '@oncepay/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { handleBatchOnce } from '@oncepay/dedup';
import type { SqlExecutor, PgDatabase } from '@oncepay/sql';
import { PG_DATABASE, type PositionOf } from '@oncepay/service-runtime';
import type { TransferOutcome } from '../domain/notification';
import { notificationBodyOf, type TransferOutcomeEvent } from '../domain/notification-body';
import { webhookEventTypeOf } from '../domain/webhook-event-type';

/** The processed-message consumer name: the same event may matter to other consumers of this database. */
export const RECORD_OUTCOME_CONSUMER = 'notification-service.record-outcome';

/**
 * `recorded`: this event created the transfer's notification.
 * `duplicate_event`: this event id was processed before (a redelivery); nothing was done.
 * `outcome_already_recorded`: another event already recorded the same outcome for this transfer.
 * `conflicting_outcome`: another event recorded the OTHER outcome for this transfer. The transfer
 *   state machine makes this impossible; it is kept (not overwritten) and logged for an operator.
 */
export type RecordOutcomeResult =
  | { outcome: 'recorded'; notificationId: string }
  | { outcome: 'duplicate_event' }
  | { outcome: 'outcome_already_recorded'; notificationId: string }
  | { outcome: 'conflicting_outcome'; notificationId: string; recordedOutcome: TransferOutcome };

type EffectResult = Exclude<RecordOutcomeResult, { outcome: 'duplicate_event' }>;

/** A transfer's notification, as far as telling an event's result needs it. */
interface StoredNotification {
  id: string;
  outcome: TransferOutcome;
}

/** A notification the batch's INSERT created, and the event it was created for. */
interface CreatedNotification extends StoredNotification {
  eventId: string;
}

@Injectable()
export class RecordOutcomeHandler {
  private readonly logger = new Logger(RecordOutcomeHandler.name);

  /**
   * Only transactions are needed: every statement of a batch runs in its one transaction. node-postgres,
   * not Prisma: a batch is a fixed handful of statements, run many times a second.
   */
  constructor(@Inject(PG_DATABASE) private readonly db: Pick<PgDatabase, 'transaction'>) {}

  async execute(event: TransferOutcomeEvent): Promise<RecordOutcomeResult> {
    const [result] = await this.executeBatch([event]);
    return result as RecordOutcomeResult;
  }

  /**
   * Records a batch of outcomes in one transaction; one result per event, in the same order.
   * `positionOf` says where each event was read, for the transfer trail (the consumer knows it).
   */
  async executeBatch(
    events: readonly TransferOutcomeEvent[],
    positionOf?: PositionOf,
  ): Promise<RecordOutcomeResult[]> {
    if (events.length === 0) return [];
    // Written by `prepare`, read by each event's `effect`: this batch's new notifications by transfer id.
    const created = new Map<string, CreatedNotification>();
    const handled = await handleBatchOnce({
      consumer: RECORD_OUTCOME_CONSUMER,
      messages: events,
      positionOf,
      // READ COMMITTED: the statements lock only the rows they insert.
      transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => this.db.transaction(fn),
      prepare: async (tx, fresh) => {
        for (const [transferId, row] of await createNotifications(tx, fresh)) created.set(transferId, row);
      },
      effect: (tx, event) => insertNotification(tx, event, created),
    });
    return events.map((event, i) => {
      const entry = handled[i];
      if (!entry || entry.outcome === 'duplicate') return { outcome: 'duplicate_event' };
      this.logResult(event, entry.result);
      return entry.result;
    });
  }

  private logResult(event: TransferOutcomeEvent, result: EffectResult): void {
    const context = { transferId: event.aggregateId, eventId: event.id, correlationId: event.correlationId };
    this.logger.log({ message: `transfer outcome ${result.outcome}`, ...context });
    if (result.outcome === 'conflicting_outcome') {
      this.logger.error({
        message: 'a second, different outcome arrived for a transfer; the first is kept',
        ...context,
        eventType: event.type,
        recordedOutcome: result.recordedOutcome,
      });
    }
  }
}

/**
 * Inserts the notifications of `events` and their webhook deliveries with ONE statement and returns the
 * notifications it created, by transfer id (lower case).
 *
 * The notifications: a transfer that already has its notification is skipped (ON CONFLICT DO NOTHING),
 * and so is a second event of this batch for one transfer: DO NOTHING also skips a row that conflicts
 * with a row the same statement inserted, so the transfer's first event in batch order wins, exactly as
 * when the events were inserted one at a time. Rows go in by transfer id (then batch order), so two
 * batches racing on the same transfers wait for each other instead of deadlocking.
 *
 * The deliveries: one pending delivery of each notification created to every enabled endpoint of its
 * client subscribed to its event type. Only the client's own endpoints: the join is on the
 * notification's client id, the one the transfer-service stamped on the transfer. An endpoint registered
 * or disabled concurrently is seen as it was committed when this statement started; a notification is
 * never announced to an endpoint registered after it was recorded. They read the notifications from the
 * INSERT's RETURNING (a data-modifying CTE), whose rows are all written before the deliveries' sort
 * hands its first row on, so the locking order is the same as in two statements.
 */
async function createNotifications(
  tx: SqlExecutor,
  events: readonly TransferOutcomeEvent[],
): Promise<Map<string, CreatedNotification>> {
  if (events.length === 0) return new Map();
  const bodies = events.map((event) => notificationBodyOf(event));
  const rows = await tx.query<
    { transfer_id: string; id: string; event_id: string; outcome: TransferOutcome }[]
  >(
    `WITH created AS (
       INSERT INTO notifications (id, transfer_id, client_id, outcome, failure_reason, event_id, payload)
       SELECT id, transfer_id, client_id, outcome, failure_reason, event_id, payload
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::transfer_outcome[], $5::text[], $6::uuid[],
                     $7::jsonb[])
              WITH ORDINALITY AS row (id, transfer_id, client_id, outcome, failure_reason, event_id, payload, n)
        ORDER BY transfer_id, n
       ON CONFLICT (transfer_id) DO NOTHING
       RETURNING id, transfer_id, event_id, outcome, client_id),
     delivered AS (
       INSERT INTO webhook_deliveries (id, endpoint_id, notification_id, event_type)
       SELECT gen_random_uuid(), endpoint.id, n.id, typed.event_type
         FROM created AS n
         JOIN unnest($6::uuid[], $8::text[]) AS typed (event_id, event_type) ON typed.event_id = n.event_id
         JOIN webhook_endpoints AS endpoint
           ON endpoint.client_id = n.client_id AND endpoint.enabled
          AND typed.event_type = ANY (endpoint.event_types)
        ORDER BY endpoint.id, n.id
       ON CONFLICT (endpoint_id, notification_id) DO NOTHING)
     SELECT transfer_id::text AS transfer_id, id::text AS id, event_id::text AS event_id,
            outcome::text AS outcome
       FROM created`,
    events.map(() => newId()),
    bodies.map((body) => body.transferId),
    events.map((event) => event.payload.clientId),
    bodies.map((body) => body.outcome),
    bodies.map((body) => body.reason),
    events.map((event) => event.id),
    bodies.map((body) => JSON.stringify(body)),
    // The webhook event type each is sent as (`transfer.completed`, `hold.captured`, ...).
    bodies.map((body) => webhookEventTypeOf(body)),
  );
  const given = new Set(events.map((event) => event.id.toLowerCase()));
  const created = new Map(
    rows.map((row): [string, CreatedNotification] => {
      if (!given.has(row.event_id))
        throw new Error(`INSERT returned a notification for event ${row.event_id} it was not given`);
      return [row.transfer_id, { id: row.id, eventId: row.event_id, outcome: row.outcome }];
    }),
  );
  if (created.size !== rows.length) throw new Error('one INSERT created two notifications for a transfer');
  return created;
}

/**
 * One event's effect: what inserting its transfer's notification came to, read from what the batch's
 * INSERT created (`created`). The transfer's notification either is this event's, or came from an
 * earlier event of this batch (the INSERT returned it), or existed before the batch (read back here).
 */
async function insertNotification(
  tx: SqlExecutor,
  event: TransferOutcomeEvent,
  created: ReadonlyMap<string, CreatedNotification>,
): Promise<EffectResult> {
  const body = notificationBodyOf(event);
  const createdNow = created.get(body.transferId.toLowerCase());
  if (createdNow?.eventId === event.id.toLowerCase()) {
    return { outcome: 'recorded', notificationId: createdNow.id };
  }
  const existing = createdNow ?? (await selectNotificationOf(tx, body.transferId));
  return existing.outcome === body.outcome
    ? { outcome: 'outcome_already_recorded', notificationId: existing.id }
    : { outcome: 'conflicting_outcome', notificationId: existing.id, recordedOutcome: existing.outcome };
}

/** The transfer's notification, which made this batch's INSERT skip the transfer. */
async function selectNotificationOf(tx: SqlExecutor, transferId: string): Promise<StoredNotification> {
  // READ COMMITTED: this statement sees the committed row that made the INSERT conflict (a concurrent
  // insert of it was waited for by the INSERT itself).
  const [existing] = await tx.query<StoredNotification[]>(
    `SELECT id::text AS id, outcome::text AS outcome FROM notifications WHERE transfer_id = $1::uuid`,
    transferId,
  );
  if (!existing) throw new Error(`INSERT conflicted on transfer ${transferId} but no row is visible`);
  return existing;
}
