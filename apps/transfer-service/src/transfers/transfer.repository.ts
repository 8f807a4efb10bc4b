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

/** A new transfer to store with its events and its idempotency key. */
export interface NewTransferWrite {
  row: Transfer;
  events: readonly OncePayEvent[];
  key: NewIdempotencyKey;
}

/** Stores one new transfer: `insertTransfersOnce` with one write (the refund path, in its transaction). */
export async function insertTransferOnce(db: SqlExecutor, write: NewTransferWrite): Promise<boolean> {
  const [created] = await insertTransfersOnce(db, [write]);
  return created === true;
}

/**
 * Stores new transfers (their first state), their events in the outbox and their idempotency keys, in
 * ONE statement: one round trip and one commit for the whole batch, the hottest path of the system.
 * The keys' insert comes first and the other two select FROM it, so a transfer and its events are
 * written only when its key is new (see packages/dedup/src/idempotency-keys.ts); data-modifying CTEs
 * run exactly once, whether or not read. Column arrays and `unnest`, so one statement text (and one
 * prepared statement) whatever the batch size. The keys must differ. Resolves, per write in order,
 * whether its key was new.
 */
export async function insertTransfersOnce(
  db: SqlExecutor,
  writes: readonly NewTransferWrite[],
): Promise<boolean[]> {
  for (const { row, key } of writes) {
    if (row.clientId !== key.clientId)
      throw new Error(`transfer ${row.id} stored under another client's key`);
  }
  const keyValues = idempotencyKeyParams(writes.map((write) => write.key));
  const rows = writes.map((write) => write.row);
  const transferValues = [
    rows.map((row) => row.id),
    rows.map((row) => row.clientId),
    rows.map((row) => row.fromAccountId),
    rows.map((row) => row.toAccountId),
    rows.map((row) => row.amountMinor.toString()),
    rows.map((row) => row.currency),
    rows.map((row) => row.reference),
    rows.map((row) => row.status),
    rows.map((row) => row.failureReason),
    rows.map((row) => row.version),
    rows.map((row) => row.lastEventId),
    rows.map((row) => row.correlationId),
    rows.map((row) => row.createdAt.toISOString()),
    rows.map((row) => row.holdExpiresAt?.toISOString() ?? null),
    rows.map((row) => row.refundOf),
    writes.map((write) => write.key.key),
  ];
  const events = writes.flatMap((write) => write.events);
  // Which transfer each outbox row announces: it is written only if that transfer is.
  const eventOwners = writes.flatMap((write) => write.events.map(() => write.row.id));
  // Parameters in order: the keys', the transfers', the outbox rows', then the events' owners.
  const p = (i: number) => `$${keyValues.length + 1 + i}`;
  const outboxParam = keyValues.length + transferValues.length + 1;
  const outboxValues = outboxRowParams(events);
  const ownerParam = `$${outboxParam + outboxValues.length}`;
  const created = await db.query<{ client_id: string; key: string }[]>(
    `WITH new_key AS (${insertIdempotencyKeySql()}),
     new_transfer AS (
       INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, reference,
                              status, failure_reason, version, last_event_id, correlation_id, created_at, updated_at,
                              hold_expires_at, refund_of)
       SELECT t.id, t.client_id, t.from_account_id, t.to_account_id, t.amount_minor, t.currency, t.reference,
              t.status, t.failure_reason, t.version, t.last_event_id, t.correlation_id, t.created_at, t.created_at,
              t.hold_expires_at, t.refund_of
         FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::uuid[], ${p(3)}::uuid[], ${p(4)}::bigint[],
                     ${p(5)}::text[], ${p(6)}::text[], ${p(7)}::transfer_status[], ${p(8)}::text[], ${p(9)}::int[],
                     ${p(10)}::uuid[], ${p(11)}::text[], ${p(12)}::timestamptz[], ${p(13)}::timestamptz[],
                     ${p(14)}::uuid[], ${p(15)}::text[])
              AS t (id, client_id, from_account_id, to_account_id, amount_minor, currency, reference, status,
                    failure_reason, version, last_event_id, correlation_id, created_at, hold_expires_at,
                    refund_of, idempotency_key)
         JOIN new_key ON new_key.client_id = t.client_id AND new_key.key = t.idempotency_key
       RETURNING id),
     new_events AS (${insertOutboxRowsSql(
       outboxParam,
       `row.id IN (SELECT owner.event_id
                     FROM unnest($${outboxParam}::uuid[], ${ownerParam}::uuid[]) AS owner (event_id, transfer_id)
                     JOIN new_transfer ON new_transfer.id = owner.transfer_id)`,
     )})
     SELECT client_id, key FROM new_key`,
    ...keyValues,
    ...transferValues,
    ...outboxValues,
    eventOwners,
  );
  const createdKeys = new Set(created.map((row) => JSON.stringify([row.client_id, row.key])));
  return writes.map((write) => createdKeys.has(JSON.stringify([write.key.clientId, write.key.key])));
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
 * `except`: ids not to lock (holds this run could not expire).
 */
export async function lockDueHolds(
  tx: SqlExecutor,
  now: Date,
  limit: number,
  except: readonly string[] = [],
): Promise<Transfer[]> {
  const rows = await tx.query<TransferRow[]>(
    `SELECT ${TRANSFER_COLUMNS}
       FROM transfers WHERE status = 'HELD' AND hold_expires_at <= $1::timestamptz AND id <> ALL ($3::uuid[])
      ORDER BY hold_expires_at LIMIT $2::int FOR UPDATE SKIP LOCKED`,
    now.toISOString(),
    limit,
    except,
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
