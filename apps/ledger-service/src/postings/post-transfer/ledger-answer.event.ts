// The ledger's answer to a TransferRequested: TransferPosted or TransferRejected, next in the transfer's
// causal chain (sequence + 1, caused by the request, same correlation id) and carrying its facts.
import {
  createEvent,
  type RejectionReason,
  type TransferPosted,
  type TransferRejected,
  type TransferRequested,
} from '@oncepay/contracts';

export const LEDGER_PRODUCER = 'ledger-service';

export function transferPostedEvent(
  request: TransferRequested,
  answer: { id: string; postedAt: Date },
): TransferPosted {
  return createEvent(
    'TransferPosted',
    { ...request.payload, postedAt: answer.postedAt.toISOString() },
    answerMeta(request, answer.id, answer.postedAt),
  );
}

export function transferRejectedEvent(
  request: TransferRequested,
  answer: { id: string; reason: RejectionReason; decidedAt: Date },
): TransferRejected {
  return createEvent(
    'TransferRejected',
    { ...request.payload, reason: answer.reason },
    answerMeta(request, answer.id, answer.decidedAt),
  );
}

function answerMeta(request: TransferRequested, id: string, occurredAt: Date) {
  return {
    id,
    occurredAt,
    producer: LEDGER_PRODUCER,
    sequence: request.sequence + 1,
    correlationId: request.correlationId,
    causationId: request.id,
  };
}
