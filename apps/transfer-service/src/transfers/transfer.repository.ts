// Maps transfer rows to the state machine's TransferState and back: the database row IS the state
// (status, version, last event id), so applying events is "lock rows, decide, save rows".
import { rejectionReasonSchema, type TransferFacts } from '@oncepay/contracts';
import type { SqlExecutor } from '@oncepay/dedup';
import type { KnownTransferState } from '@oncepay/transfer-state-machine';
import type { Transfer } from '../generated/prisma/client';
import type { TransferTransaction } from '../database';

export function toTransferState(row: Transfer): KnownTransferState {
  const transfer: TransferFacts = {
    transferId: row.id,
    clientId: row.clientId,
    fromAccountId: row.fromAccountId,
    toAccountId: row.toAccountId,
    amountMinor: row.amountMinor,
    currency: row.currency,
    reference: row.reference,
  };
  const known = { transfer, version: row.version, lastEventId: row.lastEventId };
  switch (row.status) {
    case 'PENDING':
    case 'COMPLETED':
      return { status: row.status, ...known };
    case 'FAILED': {
      const reason = rejectionReasonSchema.safeParse(row.failureReason);
      if (!reason.success) throw new Error(`transfer ${row.id} is FAILED without a known reason`);
      return { status: 'FAILED', reason: reason.data, ...known };
    }
  }
}

/**
 * Inserts a new transfer from its first state and returns its row. Plain SQL through `tx` (the accept
 * path runs on node-postgres, see PgDatabase), so the row is built here rather than read back.
 */
export async function insertTransfer(
  tx: SqlExecutor,
  state: KnownTransferState,
  meta: { correlationId: string; now: Date },
): Promise<Transfer> {
  const { transfer } = state;
  const row: Transfer = {
    id: transfer.transferId,
    clientId: transfer.clientId,
    fromAccountId: transfer.fromAccountId,
    toAccountId: transfer.toAccountId,
    amountMinor: transfer.amountMinor,
    currency: transfer.currency,
    reference: transfer.reference,
    ...stateColumns(state),
    correlationId: meta.correlationId,
    createdAt: meta.now,
    updatedAt: meta.now,
  };
  await tx.$executeRawUnsafe(
    `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, reference,
                            status, failure_reason, version, last_event_id, correlation_id, created_at, updated_at)
     VALUES ($1::uuid, $2, $3::uuid, $4::uuid, $5::bigint, $6, $7, $8::transfer_status, $9, $10::int, $11::uuid,
             $12, $13::timestamptz, $13::timestamptz)`,
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
    meta.now.toISOString(),
  );
  return row;
}

/**
 * Locks the rows until the transaction ends, in id order (so two batches never deadlock), and returns
 * the existing ones by id: two results for one transfer apply one after the other.
 */
export async function lockTransfers(
  tx: TransferTransaction,
  ids: readonly string[],
): Promise<Map<string, Transfer>> {
  const sorted = [...new Set(ids)].sort();
  await tx.$queryRaw`SELECT id FROM transfers WHERE id = ANY(${sorted}::uuid[]) ORDER BY id FOR UPDATE`;
  const rows = await tx.transfer.findMany({ where: { id: { in: sorted } } });
  return new Map(rows.map((row) => [row.id, row]));
}

/** Saves the new states of locked transfers in one statement. */
export async function saveTransferStates(
  tx: TransferTransaction,
  states: readonly KnownTransferState[],
  now: Date,
): Promise<void> {
  if (states.length === 0) return;
  const rows = states.map((state) => ({ id: state.transfer.transferId, ...stateColumns(state) }));
  const count = await tx.$executeRaw`
    UPDATE transfers
       SET status = s.status::transfer_status, failure_reason = s.failure_reason, version = s.version,
           last_event_id = s.last_event_id, updated_at = ${now}
      FROM unnest(
        ${rows.map((r) => r.id)}::uuid[],
        ${rows.map((r) => r.status)}::text[],
        ${rows.map((r) => r.failureReason)}::text[],
        ${rows.map((r) => r.version)}::int[],
        ${rows.map((r) => r.lastEventId)}::uuid[]) AS s (id, status, failure_reason, version, last_event_id)
     WHERE transfers.id = s.id`;
  if (count !== rows.length) throw new Error(`saved ${count} of ${rows.length} transfer states`);
}

function stateColumns(state: KnownTransferState) {
  return {
    status: state.status,
    failureReason: state.status === 'FAILED' ? state.reason : null,
    version: state.version,
    lastEventId: state.lastEventId,
  };
}
