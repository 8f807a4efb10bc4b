// For the integration tests: the ledger's answer to a transfer's latest request, as ledger-service
// would write it (the transfer's facts, the next sequence, caused by its last event), so a test can
// hand it to RecordLedgerResultHandler without a ledger running.
import { createEvent, type RejectionReason, type Release } from '@oncepay/contracts';
import type { LedgerAnswer } from '@oncepay/transfer-state-machine';
import { randomUUID } from 'node:crypto';
import type { Transfer } from '../generated/prisma/client';
import { toTransferState } from './transfer.repository';

export type LedgerAnswerSpec =
  | { type: 'TransferPosted' }
  | { type: 'TransferRejected'; reason: RejectionReason }
  | { type: 'HoldPlaced' }
  | { type: 'HoldCaptured' }
  | { type: 'HoldReleased'; release: Release };

export function ledgerAnswerTo(row: Transfer, spec: LedgerAnswerSpec): LedgerAnswer {
  const facts = toTransferState(row).transfer;
  const at = new Date().toISOString();
  const meta = {
    id: randomUUID(),
    occurredAt: new Date(),
    producer: 'ledger-service',
    sequence: row.version + 1,
    correlationId: row.correlationId,
    causationId: row.lastEventId,
  };
  if (spec.type === 'TransferPosted') return createEvent('TransferPosted', { ...facts, postedAt: at }, meta);
  if (spec.type === 'TransferRejected')
    return createEvent('TransferRejected', { ...facts, reason: spec.reason }, meta);
  const { holdExpiresAt } = facts;
  if (holdExpiresAt === undefined) throw new Error(`transfer ${row.id} is not a hold`);
  const hold = { ...facts, holdExpiresAt };
  switch (spec.type) {
    case 'HoldPlaced':
      return createEvent('HoldPlaced', { ...hold, heldAt: at }, meta);
    case 'HoldCaptured': {
      if (row.captureAmountMinor === null) throw new Error(`hold ${row.id} is not capturing`);
      return createEvent(
        'HoldCaptured',
        { ...hold, captureAmountMinor: row.captureAmountMinor, postedAt: at },
        meta,
      );
    }
    case 'HoldReleased':
      return createEvent('HoldReleased', { ...hold, release: spec.release, releasedAt: at }, meta);
  }
}
