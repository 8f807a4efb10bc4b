// Maps transfer rows to the state machine's TransferState and back: the database row IS the state
// (status, version, last event id), so applying an event is "lock row, decide, save row".
import { rejectionReasonSchema, type TransferFacts } from '@oncepay/contracts';
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

/** Inserts a new transfer from its first state. */
export function insertTransfer(
  tx: TransferTransaction,
  state: KnownTransferState,
  meta: { correlationId: string; now: Date },
): Promise<Transfer> {
  const { transfer } = state;
  return tx.transfer.create({
    data: {
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
    },
  });
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

export function saveTransferState(
  tx: TransferTransaction,
  state: KnownTransferState,
  now: Date,
): Promise<Transfer> {
  return tx.transfer.update({
    where: { id: state.transfer.transferId },
    data: { ...stateColumns(state), updatedAt: now },
  });
}

function stateColumns(state: KnownTransferState) {
  return {
    status: state.status,
    failureReason: state.status === 'FAILED' ? state.reason : null,
    version: state.version,
    lastEventId: state.lastEventId,
  };
}
