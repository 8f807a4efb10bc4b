// Valid final-outcome events (TransferCompleted, TransferFailed) for tests, built through the real
// contracts so they encode and decode like the transfer-service's.
import { randomUUID } from 'node:crypto';
import {
  createEvent,
  type RejectionReason,
  type TransferCompleted,
  type TransferFailed,
} from '@oncepay/contracts';

export interface OutcomeEventOverrides {
  /** A new transfer when omitted; pass one to send a second event for the same transfer. */
  transferId?: string;
  clientId?: string;
  amountMinor?: bigint;
  occurredAt?: Date;
}

function factsOf(overrides: OutcomeEventOverrides) {
  return {
    transferId: overrides.transferId ?? randomUUID(),
    clientId: overrides.clientId ?? 'client-a',
    fromAccountId: randomUUID(),
    toAccountId: randomUUID(),
    amountMinor: overrides.amountMinor ?? 1_250n,
    currency: 'EUR',
    reference: null,
  };
}

function metaOf(overrides: OutcomeEventOverrides) {
  return {
    id: randomUUID(),
    occurredAt: overrides.occurredAt ?? new Date(),
    producer: 'transfer-service',
    sequence: 3,
    correlationId: randomUUID(),
    causationId: randomUUID(),
  };
}

export function sampleTransferCompleted(overrides: OutcomeEventOverrides = {}): TransferCompleted {
  return createEvent('TransferCompleted', factsOf(overrides), metaOf(overrides));
}

export function sampleTransferFailed(
  overrides: OutcomeEventOverrides & { reason?: RejectionReason } = {},
): TransferFailed {
  return createEvent(
    'TransferFailed',
    { ...factsOf(overrides), reason: overrides.reason ?? 'INSUFFICIENT_FUNDS' },
    metaOf(overrides),
  );
}
