// Use case: transfers reached their final outcome; record the one notification that announces each.
// A batch's dedup records and notifications are written in ONE transaction, so a redelivered event (Kafka
// is at-least-once) finds its processed-message row and changes nothing, and a crash between the two
// cannot happen. A second, different event for the same transfer hits the unique transfer_id instead.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { handleBatchOnce, type SqlExecutor } from '@oncepay/dedup';
import { PRISMA } from '@oncepay/nest-common';
import { randomUUID } from 'node:crypto';
import { PrismaClient } from '../../generated/prisma/client';
import type { TransferOutcome } from '../domain/notification';
import { notificationBodyOf, type TransferOutcomeEvent } from '../domain/notification-body';

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

@Injectable()
export class RecordOutcomeHandler {
  private readonly logger = new Logger(RecordOutcomeHandler.name);

  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async execute(event: TransferOutcomeEvent): Promise<RecordOutcomeResult> {
    const [result] = await this.executeBatch([event]);
    return result as RecordOutcomeResult;
  }

  /** Records a batch of outcomes in one transaction; one result per event, in the same order. */
  async executeBatch(events: readonly TransferOutcomeEvent[]): Promise<RecordOutcomeResult[]> {
    if (events.length === 0) return [];
    const handled = await handleBatchOnce({
      consumer: RECORD_OUTCOME_CONSUMER,
      messages: events,
      // Explicit isolation and bounds: the statements lock only the rows they insert.
      transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) =>
        this.db.$transaction(fn, { isolationLevel: 'ReadCommitted', maxWait: 5_000, timeout: 10_000 }),
      effect: insertNotification,
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

async function insertNotification(tx: SqlExecutor, event: TransferOutcomeEvent): Promise<EffectResult> {
  const body = notificationBodyOf(event);
  const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO notifications (id, transfer_id, client_id, outcome, failure_reason, event_id, payload)
     VALUES ($1::uuid, $2::uuid, $3, $4::transfer_outcome, $5, $6::uuid, $7::jsonb)
     ON CONFLICT (transfer_id) DO NOTHING
     RETURNING id::text AS id`,
    randomUUID(),
    body.transferId,
    event.payload.clientId,
    body.outcome,
    body.reason,
    event.id,
    JSON.stringify(body),
  );
  const created = inserted[0];
  if (created) return { outcome: 'recorded', notificationId: created.id };

  // The transfer already has its notification. READ COMMITTED: this statement sees the committed row
  // that made the INSERT conflict (a concurrent insert of it was waited for by the INSERT itself).
  const [existing] = await tx.$queryRawUnsafe<{ id: string; outcome: TransferOutcome }[]>(
    `SELECT id::text AS id, outcome::text AS outcome FROM notifications WHERE transfer_id = $1::uuid`,
    body.transferId,
  );
  if (!existing) throw new Error(`INSERT conflicted on transfer ${body.transferId} but no row is visible`);
  return existing.outcome === body.outcome
    ? { outcome: 'outcome_already_recorded', notificationId: existing.id }
    : { outcome: 'conflicting_outcome', notificationId: existing.id, recordedOutcome: existing.outcome };
}
