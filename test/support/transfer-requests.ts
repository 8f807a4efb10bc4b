// TransferRequested events between accounts a test chose, built through the real contracts, so they
// decode and post like the ones transfer-service writes.
import { randomUUID } from 'node:crypto';
import { createEvent, type TransferRequested } from '@oncepay/contracts';

export interface TransferRequestFacts {
  clientId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency?: string;
  transferId?: string;
  /** The envelope id: pass the same one to simulate a redelivery of one event. */
  eventId?: string;
  reference?: string | null;
}

export function transferRequested(facts: TransferRequestFacts): TransferRequested {
  const transferId = facts.transferId ?? randomUUID();
  return createEvent(
    'TransferRequested',
    {
      transferId,
      clientId: facts.clientId,
      fromAccountId: facts.fromAccountId,
      toAccountId: facts.toAccountId,
      amountMinor: facts.amountMinor,
      currency: facts.currency ?? 'EUR',
      reference: facts.reference ?? null,
    },
    {
      id: facts.eventId ?? randomUUID(),
      occurredAt: new Date(),
      producer: 'transfer-service',
      sequence: 1,
      correlationId: `corr-${transferId}`,
      causationId: null,
    },
  );
}
