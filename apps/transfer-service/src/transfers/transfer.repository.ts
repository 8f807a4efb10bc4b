// Maps transfer rows to the state machine's TransferState and back: the database row IS the state
// (status, version, last event id), so applying events is "lock rows, decide, save rows".
import { rejectionReasonSchema, type OncePayEvent, type TransferFacts } from '@oncepay/contracts';
import { idempotencyKeyParams, insertIdempotencyKeySql, type NewIdempotencyKey } from '@oncepay/dedup';
import type { SqlExecutor } from '@oncepay/sql';
import { insertOutboxRowsSql, outboxRowParams } from '@oncepay/messaging';
import type { KnownTransferState } from '@oncepay/transfer-state-machine';
import type { Transfer } from '../generated/prisma/client';

export function toTransferState(row: Transfer): KnownTransferState {
  const transfer: TransferFacts = {
    transferId: row.id,
    clientId: row.clientId,
    fromAccountId: row.fromAccountId,
    toAccountId: row.toAccountId,
    amountMinor: row.amountMinor,
    currency: row.currency,
    reference: row.reference,
    ...(row.holdExpiresAt === null ? {} : { holdExpiresAt: row.holdExpiresAt.toISOString() }),
    ...(row.refundOf === null ? {} : { refundOf: row.refundOf }),
  };
  const known = { transfer, version: row.version, lastEventId: row.lastEventId };
  switch (row.status) {
    case 'PENDING':
    case 'COMPLETED':
    case 'HELD':
    case 'VOIDING':
    case 'VOIDED':
    case 'EXPIRING':
    case 'EXPIRED':
      return { status: row.status, ...known };
    case 'CAPTURING':
    case 'CAPTURED':
      if (row.captureAmountMinor === null)
        throw new Error(`transfer ${row.id} is ${row.status} without an amount`);
      return { status: row.status, captureAmountMinor: row.captureAmountMinor, ...known };
    case 'FAILED': {
      const reason = rejectionReasonSchema.safeParse(row.failureReason);
      if (!reason.success) throw new Error(`transfer ${row.id} is FAILED without a known reason`);
      return { status: 'FAILED', reason: reason.data, ...known };
    }
  }
}

/**
 * Stores a new transfer (its first state), its events in the outbox and its idempotency key, in ONE
 * statement: one round trip and one commit, the hottest path of the system. The key's insert comes
 * first and the other two select FROM it, so they happen only when the key is new (see
 * packages/dedup/src/idempotency-keys.ts); data-modifying CTEs run exactly once, whether or not read.
 * Resolves whether the key was new.
 */
export async function insertTransferOnce(
  db: SqlExecutor,
  write: { row: Transfer; events: readonly OncePayEvent[]; key: NewIdempotencyKey },
): Promise<boolean> {
  const { row } = write;
  const keyValues = idempotencyKeyParams(write.key);
  const transferValues = [
    row.id,
    row.clientId,
    row.fromAccountId,
    row.toAccountId,
    row.amountMinor.toString(),
    row.currency,
    row.reference,
    row.status,
    row.failureReason,
    row.version,
    row.lastEventId,
    row.correlationId,
    row.createdAt.toISOString(),
    row.holdExpiresAt?.toISOString() ?? null,
    row.refundOf,
  ];
  // Parameters in order: the key's, the transfer's, then the outbox rows'.
  const p = (i: number) => `$${keyValues.length + 1 + i}`;
  const outboxParam = keyValues.length + transferValues.length + 1;
  const [result] = await db.query<{ created: boolean }[]>(
    `WITH new_key AS (${insertIdempotencyKeySql()}),
     new_transfer AS (
       INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, reference,
                              status, failure_reason, version, last_event_id, correlation_id, created_at, updated_at,
                              hold_expires_at, refund_of)
       SELECT ${p(0)}::uuid, ${p(1)}, ${p(2)}::uuid, ${p(3)}::uuid, ${p(4)}::bigint, ${p(5)}, ${p(6)},
              ${p(7)}::transfer_status, ${p(8)}, ${p(9)}::int, ${p(10)}::uuid, ${p(11)},
              ${p(12)}::timestamptz, ${p(12)}::timestamptz, ${p(13)}::timestamptz, ${p(14)}::uuid
         FROM new_key
       RETURNING id),
     new_events AS (${insertOutboxRowsSql(outboxParam, 'EXISTS (SELECT FROM new_transfer)')})
     SELECT EXISTS (SELECT FROM new_key) AS created`,
    ...keyValues,
    ...transferValues,
    ...outboxRowParams(write.events),
  );
  return result?.created === true;
}

/** A new transfer's row from its first state: built here, so the accept path need not read it back. */
export function newTransferRow(
  state: KnownTransferState,
  meta: { correlationId: string; now: Date },
): Transfer {
  const { transfer } = state;
  return {
    id: transfer.transferId,
    clientId: transfer.clientId,
    fromAccountId: transfer.fromAccountId,
    toAccountId: transfer.toAccountId,
    amountMinor: transfer.amountMinor,
    currency: transfer.currency,
    reference: transfer.reference,
    holdExpiresAt: transfer.holdExpiresAt === undefined ? null : new Date(transfer.holdExpiresAt),
    refundOf: transfer.refundOf ?? null,
    ...stateColumns(state),
    correlationId: meta.correlationId,
    createdAt: meta.now,
    updatedAt: meta.now,
  };
}

/** Every column of transfers, as `TransferRow` reads them. */
const TRANSFER_COLUMNS = `id::text, client_id, from_account_id::text, to_account_id::text, amount_minor::text, currency,
  reference, status::text, failure_reason, version, last_event_id::text, correlation_id, created_at, updated_at,
  hold_expires_at, capture_amount_minor::text, refund_of::text`;

/**
 * Locks the rows until the transaction ends, in id order (so two batches never deadlock), and returns
 * the existing ones by id: two results for one transfer apply one after the other. One statement:
 * PostgreSQL locks each row as the sorted result is produced, so the rows it returns are the locked ones.
 */
export async function lockTransfers(tx: SqlExecutor, ids: readonly string[]): Promise<Map<string, Transfer>> {
  const sorted = [...new Set(ids)].sort();
  const rows = await tx.query<TransferRow[]>(
    `SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    sorted,
  );
  return new Map(rows.map((row) => [row.id, transferOf(row)]));
}

/** A transfers row as node-postgres reads it: BIGINT and UUID as text, timestamps as Dates. */
interface TransferRow {
  id: string;
  client_id: string;
  from_account_id: string;
  to_account_id: string;
  amount_minor: string;
  currency: string;
  reference: string | null;
  status: Transfer['status'];
  failure_reason: string | null;
  version: number;
  last_event_id: string;
  correlation_id: string;
  created_at: Date;
  updated_at: Date;
  hold_expires_at: Date | null;
  capture_amount_minor: string | null;
  refund_of: string | null;
}

function transferOf(row: TransferRow): Transfer {
  return {
    id: row.id,
    clientId: row.client_id,
    fromAccountId: row.from_account_id,
    toAccountId: row.to_account_id,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    reference: row.reference,
    status: row.status,
    failureReason: row.failure_reason,
    version: row.version,
    lastEventId: row.last_event_id,
    correlationId: row.correlation_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    holdExpiresAt: row.hold_expires_at,
    captureAmountMinor: row.capture_amount_minor === null ? null : BigInt(row.capture_amount_minor),
    refundOf: row.refund_of,
  };
}

/**
 * Saves the new states of locked transfers and adds the events they decided to the outbox, in ONE
 * statement (a round trip per statement is what a batch costs): the UPDATE and the outbox INSERT are
 * two data-modifying CTEs of it, so they commit or roll back together like two statements would. They
 * touch different tables, so it does not matter that neither sees the other's rows. The events go in
 * in this order (sending order).
 */
export async function saveTransferStates(
  tx: SqlExecutor,
  states: readonly KnownTransferState[],
  now: Date,
  events: readonly OncePayEvent[] = [],
): Promise<void> {
  if (states.length === 0 && events.length === 0) return;
  const rows = states.map((state) => ({ id: state.transfer.transferId, ...stateColumns(state) }));
  const [result] = await tx.query<{ saved: number }[]>(
    `WITH saved AS (
       UPDATE transfers
          SET status = s.status::transfer_status, failure_reason = s.failure_reason, version = s.version,
              last_event_id = s.last_event_id, capture_amount_minor = s.capture_amount_minor,
              updated_at = $7::timestamptz
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::uuid[], $6::bigint[])
              AS s (id, status, failure_reason, version, last_event_id, capture_amount_minor)
        WHERE transfers.id = s.id
       RETURNING 1),
     queued AS (${insertOutboxRowsSql(8)})
     SELECT (SELECT count(*) FROM saved)::int AS saved`,
    rows.map((r) => r.id),
    rows.map((r) => r.status),
    rows.map((r) => r.failureReason),
    rows.map((r) => r.version),
    rows.map((r) => r.lastEventId),
    rows.map((r) => r.captureAmountMinor?.toString() ?? null),
    now.toISOString(),
    ...outboxRowParams(events),
  );
  if (result?.saved !== rows.length)
    throw new Error(`saved ${result?.saved} of ${rows.length} transfer states`);
}

/** `row` as it is once `state` is saved at `now`: what a step answers without reading the row back. */
export function withState(row: Transfer, state: KnownTransferState, now: Date): Transfer {
  return { ...row, ...stateColumns(state), updatedAt: now };
}

/**
 * The sum of the refunds of `paymentId` that may still move or have moved money (PENDING or
 * COMPLETED; a FAILED one gives its amount back). Read under the payment's row lock, which every
 * refund of it is inserted under, so no refund of it can be added until the reader commits.
 */
export async function sumRefundingMinor(tx: SqlExecutor, paymentId: string): Promise<bigint> {
  const [row] = await tx.query<{ refunding: string }[]>(
    `SELECT COALESCE(sum(amount_minor), 0)::text AS refunding
       FROM transfers WHERE refund_of = $1::uuid AND status IN ('PENDING', 'COMPLETED')`,
    paymentId,
  );
  return BigInt(row?.refunding ?? '0');
}

/**
 * Locks up to `limit` holds still HELD whose expiry is at or before `now`, soonest first, skipping
 * those another transaction holds (a client's step, or another instance's expiry job): several
 * instances expire disjoint batches, and a step in flight is decided first; the job sees it next time.
 */
export async function lockDueHolds(tx: SqlExecutor, now: Date, limit: number): Promise<Transfer[]> {
  const rows = await tx.query<TransferRow[]>(
    `SELECT ${TRANSFER_COLUMNS}
       FROM transfers WHERE status = 'HELD' AND hold_expires_at <= $1::timestamptz
      ORDER BY hold_expires_at LIMIT $2::int FOR UPDATE SKIP LOCKED`,
    now.toISOString(),
    limit,
  );
  return rows.map(transferOf);
}

function stateColumns(state: KnownTransferState) {
  return {
    status: state.status,
    failureReason: state.status === 'FAILED' ? state.reason : null,
    captureAmountMinor: 'captureAmountMinor' in state ? state.captureAmountMinor : null,
    version: state.version,
    lastEventId: state.lastEventId,
  };
}
