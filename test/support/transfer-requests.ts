// TransferRequested events between accounts a test chose, built through the real contracts, so they
// decode and post like the ones transfer-service writes; and the dead letter the ledger's consumer
// makes of one it gives up on.
import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, TOPICS, type TransferRequested } from '@oncepay/contracts';
import { deadLetterRecord, type DeadLetter } from '@oncepay/messaging';

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

/**
 * The dead letter the ledger's consumer hands PostTransferHandler.rejectUnprocessable for `request`:
 * the request's bytes as read from its topic, named logically as an outbox row names its topic.
 */
export function deadLetterOf(request: TransferRequested): DeadLetter {
  const { key, value, headers } = encodeEvent(request);
  const message = {
    topic: TOPICS.transferRequests,
    partition: 0,
    offset: '41',
    key,
    value: Buffer.from(value),
    headers,
  };
  return deadLetterRecord(message, {
    reason: 'handler failed: Error: no such thing',
    consumerGroup: 'ledger-service',
    attempts: 5,
    failedAt: new Date(),
  });
}
