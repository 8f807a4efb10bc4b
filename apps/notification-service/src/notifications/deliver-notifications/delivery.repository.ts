// The SQL of the deliver-notifications use case: claim due notifications, record what an attempt did.
//
// Why a claim is a lease rather than a lock held during delivery: a delivery is a network call of up
// to several seconds, and holding a transaction (and one of the pool's few connections) open across it
// would let slow receivers starve the consumer. So one short statement locks due rows with
// FOR UPDATE SKIP LOCKED (concurrent dispatchers skip each other's rows instead of queueing), counts the
// attempt and pushes next_attempt_at forward by a lease; the row is then invisible to other dispatchers
// until the lease ends. The result is recorded by a second short transaction fenced on the attempt
// number, so a dispatcher whose lease ran out (and whose row another dispatcher re-claimed) cannot
// overwrite the newer attempt. A crash mid-delivery leaves the row to be claimed again after the lease:
// at-least-once, with the notification id as the receiver's idempotency key.
import type { SqlExecutor } from '@oncepay/dedup';
import type { TransactionalDatabase } from '@oncepay/nest-common';
import type { DeliveryResult } from '../domain/notification-channel.port';
import type { NextStep } from '../domain/delivery-policy';
import type { TransferOutcome } from '../domain/notification';

export type DeliveryDatabase = SqlExecutor & TransactionalDatabase;

/** A claimed notification; its payload is validated by the caller before anything is sent. */
export interface ClaimedNotification {
  id: string;
  transferId: string;
  clientId: string;
  outcome: TransferOutcome;
  payload: unknown;
  /** This attempt's number: attempts are counted when claimed, so even crashed attempts use up the budget. */
  attemptNumber: number;
}

export interface AttemptRecord {
  notificationId: string;
  attemptNumber: number;
  channel: string;
  attemptedAt: Date;
  result: DeliveryResult;
  next: NextStep;
}

/** `recorded`: the row moved on. `claim_lost`: the lease ran out and another attempt owns the row now. */
export type RecordOutcome = 'recorded' | 'claim_lost';

export class DeliveryRepository {
  constructor(private readonly db: DeliveryDatabase) {}

  /** Claims at most `batchSize` due notifications for `leaseMs`, oldest due first. */
  async claimDue(batchSize: number, leaseMs: number): Promise<ClaimedNotification[]> {
    const rows = await this.db.$queryRawUnsafe<
      {
        id: string;
        transfer_id: string;
        client_id: string;
        outcome: TransferOutcome;
        payload: unknown;
        attempts: number;
      }[]
    >(
      `UPDATE notifications AS n
          SET attempts = n.attempts + 1,
              next_attempt_at = now() + ($2::int * interval '1 millisecond')
         FROM (SELECT id FROM notifications
                WHERE status = 'PENDING' AND next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1::int
                FOR UPDATE SKIP LOCKED) AS due
        WHERE n.id = due.id
    RETURNING n.id::text AS id, n.transfer_id::text AS transfer_id, n.client_id,
              n.outcome::text AS outcome, n.payload, n.attempts`,
      batchSize,
      leaseMs,
    );
    return rows.map((row) => ({
      id: row.id,
      transferId: row.transfer_id,
      clientId: row.client_id,
      outcome: row.outcome,
      payload: row.payload,
      attemptNumber: row.attempts,
    }));
  }

  /** Moves the notification to its next step and appends the attempt, in one transaction. */
  async recordAttempt(record: AttemptRecord): Promise<RecordOutcome> {
    const { result, next } = record;
    const error = result.outcome === 'failed' ? result.error : null;
    return this.db.$transaction(
      async (tx) => {
        const moved = await tx.$executeRawUnsafe(
          `UPDATE notifications
              SET status = $3::notification_status,
                  last_error = $4,
                  next_attempt_at = CASE WHEN $3 = 'PENDING'
                                         THEN now() + ($5::int * interval '1 millisecond')
                                         ELSE next_attempt_at END,
                  delivered_at = CASE WHEN $3 = 'DELIVERED' THEN now() ELSE NULL END
            WHERE id = $1::uuid AND status = 'PENDING' AND attempts = $2::int`,
          record.notificationId,
          record.attemptNumber,
          next.status,
          error,
          next.status === 'PENDING' ? next.retryInMs : 0,
        );
        if (moved === 0) return 'claim_lost';
        await tx.$executeRawUnsafe(
          `INSERT INTO delivery_attempts
             (notification_id, attempt_number, channel, attempted_at, succeeded, error, response_status)
           VALUES ($1::uuid, $2::int, $3, $4::timestamptz, $5, $6, $7::int)`,
          record.notificationId,
          record.attemptNumber,
          record.channel,
          record.attemptedAt.toISOString(),
          result.outcome === 'delivered',
          error,
          result.responseStatus ?? null,
        );
        return 'recorded';
      },
      { isolationLevel: 'ReadCommitted', maxWait: 5_000, timeout: 10_000 },
    );
  }

  /** Gives a claimed notification up without sending it (no attempt row: nothing was attempted). */
  async giveUp(notificationId: string, attemptNumber: number, reason: string): Promise<RecordOutcome> {
    const moved = await this.db.$executeRawUnsafe(
      `UPDATE notifications SET status = 'GAVE_UP', last_error = $3
        WHERE id = $1::uuid AND status = 'PENDING' AND attempts = $2::int`,
      notificationId,
      attemptNumber,
      reason,
    );
    return moved === 0 ? 'claim_lost' : 'recorded';
  }
}
