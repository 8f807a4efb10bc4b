// The ledger's answers, each next in its transfer's causal chain (sequence + 1, caused by the request,
// same correlation id) and carrying the request's facts exactly as they were requested:
// TransferRequested -> TransferPosted | TransferRejected | HoldPlaced (a hold);
// CaptureRequested -> HoldCaptured; ReleaseRequested -> HoldReleased.
import {
  createEvent,
  type CaptureRequested,
  type HoldCaptured,
  type HoldPlaced,
  type HoldReleased,
  type RejectionReason,
  type ReleaseRequested,
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

/** The answer to a hold request that placed a hold (the request has holdExpiresAt). */
export function holdPlacedEvent(
  request: TransferRequested,
  holdExpiresAt: string,
  answer: { id: string; heldAt: Date },
): HoldPlaced {
  return createEvent(
    'HoldPlaced',
    { ...request.payload, holdExpiresAt, heldAt: answer.heldAt.toISOString() },
    answerMeta(request, answer.id, answer.heldAt),
  );
}

export function holdCapturedEvent(
  request: CaptureRequested,
  answer: { id: string; postedAt: Date },
): HoldCaptured {
  return createEvent(
    'HoldCaptured',
    { ...request.payload, postedAt: answer.postedAt.toISOString() },
    answerMeta(request, answer.id, answer.postedAt),
  );
}

export function holdReleasedEvent(
  request: ReleaseRequested,
  answer: { id: string; releasedAt: Date },
): HoldReleased {
  return createEvent(
    'HoldReleased',
    { ...request.payload, releasedAt: answer.releasedAt.toISOString() },
    answerMeta(request, answer.id, answer.releasedAt),
  );
}

function answerMeta(
  request: TransferRequested | CaptureRequested | ReleaseRequested,
  id: string,
  occurredAt: Date,
) {
  return {
    id,
    occurredAt,
    producer: LEDGER_PRODUCER,
    sequence: request.sequence + 1,
    correlationId: request.correlationId,
    causationId: request.id,
  };
}
