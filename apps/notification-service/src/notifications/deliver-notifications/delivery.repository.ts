// The SQL of the deliver-notifications use case: claim due notifications, record what the attempts did.
//
// Why a claim is a lease rather than a lock held during delivery: a delivery is a network call of up
// to several seconds, and holding a transaction (and one of the pool's few connections) open across it
// would let slow receivers starve the consumer. So one short statement locks due rows with
// FOR UPDATE SKIP LOCKED (concurrent dispatchers skip each other's rows instead of queueing), counts the
// attempt and pushes next_attempt_at forward by a lease; the row is then invisible to other dispatchers
// until the lease ends. A crash mid-delivery leaves the row to be claimed again after the lease:
// at-least-once, with the notification id as the receiver's idempotency key.
//
// A pass's results are recorded together by ONE statement, fenced on each row's attempt number, so a
// dispatcher whose lease ran out (and whose row another dispatcher re-claimed) cannot overwrite the
// newer attempt. One statement per pass, not a transaction per notification (BEGIN, SET TRANSACTION,
// UPDATE, INSERT, COMMIT), because every statement costs a round trip and PostgreSQL CPU. It is just
// as atomic: a statement outside a transaction is a transaction of its own, so the status changes and
// the attempt rows commit together or not at all. Data-modifying CTEs shape the SQL: all parts see
// the same snapshot (the INSERT cannot see the UPDATE's changes in the table), so the attempt rows are
// joined to the UPDATE's RETURNING, which lists exactly the rows that passed the fence; and each part
// runs once, whatever the final SELECT reads. The fence holds under concurrency: at READ COMMITTED an
// UPDATE that waited for another transaction's row lock re-checks its WHERE on the newer row version,
// so a row re-claimed meanwhile (its attempts moved on) is left alone and gets no attempt row.
import type { SqlExecutor } from '@oncepay/sql';
import type { DeliveryResult } from '../domain/notification-channel.port';
import type { NextStep } from '../domain/delivery-policy';
import type { TransferOutcome } from '../domain/notification';

/** Plain statements only: every write here is one statement, never an interactive transaction. */
export type DeliveryDatabase = SqlExecutor;

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
    const rows = await this.db.query<
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

  /**
   * Records a pass's attempts in ONE statement: each notification moves to its next step and gets its
   * attempt row, fenced on its attempt number. Results are by position: `records[i]` came to `result[i]`.
   */
  async recordAttempts(records: readonly AttemptRecord[]): Promise<RecordOutcome[]> {
    if (records.length === 0) return [];
    const ids = records.map((record) => record.notificationId.toLowerCase());
    const asked = new Set(ids);
    // UPDATE ... FROM would move a row listed twice only once, yet the INSERT would append two attempts.
    // A claim hands out each row once per pass, so a repeat is a bug: refuse it before writing anything.
    if (asked.size !== ids.length) throw new Error('recordAttempts was given a notification twice');
    const rows = await this.db.query<{ id: string }[]>(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::notification_status[], $4::text[], $5::int[],
                              $6::text[], $7::timestamptz[], $8::boolean[], $9::int[])
                  AS input (id, attempt_number, status, error, retry_in_ms,
                            channel, attempted_at, succeeded, response_status)
       ),
       moved AS (
         UPDATE notifications AS n
            SET status = input.status,
                last_error = input.error,
                next_attempt_at = CASE WHEN input.status = 'PENDING'
                                       THEN now() + (input.retry_in_ms * interval '1 millisecond')
                                       ELSE n.next_attempt_at END,
                delivered_at = CASE WHEN input.status = 'DELIVERED' THEN now() ELSE NULL END
           FROM input
          WHERE n.id = input.id AND n.status = 'PENDING' AND n.attempts = input.attempt_number
      RETURNING n.id
       ),
       appended AS (
         INSERT INTO delivery_attempts
                (notification_id, attempt_number, channel, attempted_at, succeeded, error, response_status)
         SELECT input.id, input.attempt_number, input.channel, input.attempted_at, input.succeeded,
                input.error, input.response_status
           FROM input JOIN moved ON moved.id = input.id
       )
       SELECT id::text AS id FROM moved`,
      ids,
      records.map((record) => record.attemptNumber),
      records.map((record) => record.next.status),
      records.map((record) => errorOf(record.result)),
      records.map((record) => (record.next.status === 'PENDING' ? record.next.retryInMs : 0)),
      records.map((record) => record.channel),
      records.map((record) => record.attemptedAt.toISOString()),
      records.map((record) => record.result.outcome === 'delivered'),
      records.map((record) => record.result.responseStatus ?? null),
    );
    const moved = new Set(rows.map((row) => row.id));
    if (moved.size !== rows.length || rows.some((row) => !asked.has(row.id))) {
      throw new Error(`recording ${ids.length} attempts moved rows that were not asked for`);
    }
    return ids.map((id) => (moved.has(id) ? 'recorded' : 'claim_lost'));
  }

  /** Gives a claimed notification up without sending it (no attempt row: nothing was attempted). */
  async giveUp(notificationId: string, attemptNumber: number, reason: string): Promise<RecordOutcome> {
    const moved = await this.db.execute(
      `UPDATE notifications SET status = 'GAVE_UP', last_error = $3
        WHERE id = $1::uuid AND status = 'PENDING' AND attempts = $2::int`,
      notificationId,
      attemptNumber,
      reason,
    );
    return moved === 0 ? 'claim_lost' : 'recorded';
  }
}

function errorOf(result: DeliveryResult): string | null {
  return result.outcome === 'failed' ? result.error : null;
}
