// The lab's messages are OncePay's own events, built and encoded through @oncepay/contracts, so they
// are decoded and validated at the consumer's edge exactly like the services' events.
import { createHash } from 'node:crypto';
import { createEvent, encodeEvent, type TransferCompleted, type TransferRequested } from '@oncepay/contracts';
import type { ProducerRecord } from '@oncepay/messaging';
import { LAB_CURRENCY, type LabTransfer } from './plan';

const LAB_PRODUCER = 'oncepay-lab';
/** The namespace of the lab's name-based ids (any fixed UUID will do; this one was drawn once). */
const LAB_ID_NAMESPACE = '5b1c6a8e-3f0d-4c47-9a51-2e8d7f6b0c93';

export function transferRequestedOf(transfer: LabTransfer, occurredAt: Date): TransferRequested {
  return createEvent(
    'TransferRequested',
    {
      transferId: transfer.transferId,
      clientId: 'lab',
      fromAccountId: transfer.fromAccountId,
      toAccountId: transfer.toAccountId,
      amountMinor: transfer.amountMinor,
      currency: LAB_CURRENCY,
      reference: `lab transfer #${transfer.index}`,
    },
    {
      id: transfer.eventId,
      occurredAt,
      producer: LAB_PRODUCER,
      sequence: 1,
      correlationId: transfer.transferId,
      causationId: null,
    },
  );
}

/**
 * The ledger's answer to a request. Its id is derived from the request's id, never drawn at random: a
 * ledger that publishes the answer again (it crashed after publishing, before committing the offset)
 * must publish the *same* message, or no consumer downstream could tell it is a repeat. OncePay's
 * services get the same property from the outbox row, whose id is fixed before the first send.
 */
export function transferCompletedOf(request: TransferRequested, occurredAt: Date): TransferCompleted {
  return createEvent('TransferCompleted', request.payload, {
    id: nameBasedUuid(`${request.id}/TransferCompleted`),
    occurredAt,
    producer: LAB_PRODUCER,
    sequence: request.sequence + 1,
    correlationId: request.correlationId,
    causationId: request.id,
  });
}

export function recordOf(event: TransferRequested | TransferCompleted, topic: string): ProducerRecord {
  return { topic, ...encodeEvent(event) };
}

/** A version-5 UUID (RFC 9562: SHA-1 of namespace and name): the same name always gives the same id. */
export function nameBasedUuid(name: string, namespace = LAB_ID_NAMESPACE): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
