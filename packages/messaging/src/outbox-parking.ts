// What an operator does with an outbox row the relay parked (see outbox-relay.ts): list the parked rows
// and how many rows of their key wait behind each, show one, release it (the relay tries it again,
// then the rows behind it) or discard it (the rows behind it flow; the row stays, DISCARDED, with the
// reason: nothing is deleted silently). `npm run outbox` is the command line over these.
//
// Release and discard take the relay's advisory lock first, waiting for a pass in progress to end, so
// a row never changes state under a pass that has read it.
import type { SqlExecutor } from '@oncepay/sql';
import { OUTBOX_CHANNEL } from './outbox';

/** An arbitrary constant shared by every relay of one database: the advisory lock that elects the leader. */
export const RELAY_LOCK_KEY = 7_314_003_001;

export type OutboxRowStatus = 'PENDING' | 'SENT' | 'PARKED' | 'DISCARDED';

export interface ParkedOutboxRow {
  /** A bigint, as text. */
  position: string;
  id: string;
  topic: string;
  key: string;
  attempts: number;
  lastError: string | null;
  parkedAt: Date | null;
  /** PENDING rows of the same key behind it: they leave only once it is released or discarded. */
  waitingBehind: number;
}

export interface OutboxRowDetail {
  position: string;
  id: string;
  topic: string;
  key: string;
  status: OutboxRowStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
  sentAt: Date | null;
  parkedAt: Date | null;
  discardedAt: Date | null;
  discardReason: string | null;
  headers: Record<string, string>;
  /** The encoded envelope, as it would go on the wire. */
  value: string;
  waitingBehind: number;
}

/** What release or discard did: done, or why not (expected outcomes, not exceptions). */
export type ParkedRowAction =
  | { outcome: 'released'; row: OutboxRowDetail }
  | { outcome: 'discarded'; row: OutboxRowDetail }
  | { outcome: 'not_found' }
  | { outcome: 'not_parked'; status: OutboxRowStatus };

/** Runs `fn` in one transaction (PgDatabase.transaction fits). */
export type Transaction = <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T>;

const WAITING_BEHIND = `(SELECT count(*) FROM outbox_messages AS w
   WHERE w.status = 'PENDING' AND w.key = o.key AND w.position > o.position)::int AS waiting_behind`;

const DETAIL_COLUMNS = `o.position::text AS position, o.id::text AS id, o.topic, o.key, o.status::text AS status,
  o.attempts, o.last_error, o.created_at, o.next_attempt_at, o.sent_at, o.parked_at, o.discarded_at,
  o.discard_reason, o.headers, o.value, ${WAITING_BEHIND}`;

interface DetailRecord {
  position: string;
  id: string;
  topic: string;
  key: string;
  status: OutboxRowStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  next_attempt_at: Date;
  sent_at: Date | null;
  parked_at: Date | null;
  discarded_at: Date | null;
  discard_reason: string | null;
  headers: Record<string, string>;
  value: string;
  waiting_behind: number;
}

/** The parked rows in position order (the order they would have left in). */
export async function listParkedOutboxRows(db: SqlExecutor): Promise<ParkedOutboxRow[]> {
  const rows = await db.query<DetailRecord[]>(
    `SELECT ${DETAIL_COLUMNS} FROM outbox_messages AS o WHERE o.status = 'PARKED' ORDER BY o.position`,
  );
  return rows.map((row) => ({
    position: row.position,
    id: row.id,
    topic: row.topic,
    key: row.key,
    attempts: row.attempts,
    lastError: row.last_error,
    parkedAt: row.parked_at,
    waitingBehind: row.waiting_behind,
  }));
}

/** One row, whatever its status; undefined when there is none at `position`. */
export async function readOutboxRow(db: SqlExecutor, position: string): Promise<OutboxRowDetail | undefined> {
  const [row] = await db.query<DetailRecord[]>(
    `SELECT ${DETAIL_COLUMNS} FROM outbox_messages AS o WHERE o.position = $1::bigint`,
    assertPosition(position),
  );
  return row && detailOf(row);
}

/** Back to PENDING with no attempts: the relay sends it next, then the rows of its key behind it. */
export function releaseParkedOutboxRow(transaction: Transaction, position: string): Promise<ParkedRowAction> {
  return changeParkedRow(transaction, position, 'released', (tx) =>
    tx.execute(
      `UPDATE outbox_messages SET status = 'PENDING', attempts = 0, next_attempt_at = now(), parked_at = NULL
        WHERE position = $1::bigint AND status = 'PARKED'`,
      position,
    ),
  );
}

/**
 * DISCARDED for good, with the reason: the rows of its key behind it then flow, and the consumers never
 * see this event. The row keeps its content (and is never purged), so what was dropped stays on record.
 */
export async function discardParkedOutboxRow(
  transaction: Transaction,
  position: string,
  reason: string,
): Promise<ParkedRowAction> {
  if (reason.trim() === '') throw new Error('a discard needs a reason');
  return changeParkedRow(transaction, position, 'discarded', (tx) =>
    tx.execute(
      `UPDATE outbox_messages SET status = 'DISCARDED', discarded_at = now(), discard_reason = $2
        WHERE position = $1::bigint AND status = 'PARKED'`,
      position,
      reason,
    ),
  );
}

async function changeParkedRow(
  transaction: Transaction,
  position: string,
  done: 'released' | 'discarded',
  change: (tx: SqlExecutor) => Promise<number>,
): Promise<ParkedRowAction> {
  assertPosition(position);
  return transaction(async (tx) => {
    // Waits for the relay's pass in progress, and keeps the next one out until this commits.
    await tx.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock($1::bigint)`, RELAY_LOCK_KEY);
    const before = await readOutboxRow(tx, position);
    if (!before) return { outcome: 'not_found' } as const;
    if (before.status !== 'PARKED') return { outcome: 'not_parked', status: before.status } as const;
    if ((await change(tx)) !== 1) throw new Error(`outbox row ${position} changed under the relay's lock`);
    // Delivered at commit: the relays wake up for the rows that may now go.
    await tx.query(`SELECT 1 AS notified FROM pg_notify($1, '')`, OUTBOX_CHANNEL);
    const row = await readOutboxRow(tx, position);
    if (!row) throw new Error(`outbox row ${position} vanished under the relay's lock`);
    return { outcome: done, row };
  });
}

function assertPosition(position: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(position)) throw new Error(`not an outbox position: "${position}"`);
  return position;
}

function detailOf(row: DetailRecord): OutboxRowDetail {
  return {
    position: row.position,
    id: row.id,
    topic: row.topic,
    key: row.key,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
    parkedAt: row.parked_at,
    discardedAt: row.discarded_at,
    discardReason: row.discard_reason,
    headers: row.headers,
    value: row.value,
    waitingBehind: row.waiting_behind,
  };
}
