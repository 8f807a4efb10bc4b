// Decides one request of a batch with the pure posting rules, against the batch's current state, and
// records the outcome in the batch (so not pure itself): a payment or a refund posts or is rejected, a
// hold request places a hold or is rejected, a capture posts and ends its hold, a release ends it.
import {
  assertNever,
  newId,
  type CaptureRequested,
  type HoldCaptured,
  type HoldPlaced,
  type HoldReleased,
  type RejectionReason,
  type ReleaseRequested,
  type TransferFacts,
  type TransferPosted,
  type TransferRejected,
  type TransferRequested,
} from '@oncepay/contracts';
import {
  decideCapture,
  decideHold,
  decidePosting,
  decideRefundPosting,
  decideRelease,
  type HoldRefusal,
} from '@oncepay/posting-rules';
import type { LedgerBatch } from '../ledger-batch';
import {
  holdCapturedEvent,
  holdPlacedEvent,
  holdReleasedEvent,
  transferPostedEvent,
  transferRejectedEvent,
} from './ledger-answer.event';

/** What the ledger's consumer is asked on the transfer-requests topic. */
export type LedgerRequest = TransferRequested | CaptureRequested | ReleaseRequested;

/**
 * `posted`: both entries and balances were written; `answer` (TransferPosted) is in the outbox.
 * `rejected`: nothing was written to the journal; `answer` (TransferRejected with `reason`) is in the outbox.
 * `held`: the hold was placed (the payer's held amount grew, no entry); `answer` (HoldPlaced) is in the outbox.
 * `captured`: the capture's entries were written and the hold ended; `answer` (HoldCaptured) is in the outbox.
 * `released`: the hold ended without an entry; `answer` (HoldReleased) is in the outbox.
 * `duplicate_event`: this event id was processed before (a Kafka redelivery); nothing was done.
 * `already_decided`: another event for the same transfer got its decision first; nothing was done.
 * `already_settled`: another event ended the hold this same way first; nothing was done.
 * A capture or release the hold cannot take is none of these: it throws HoldStepRefusedError.
 */
export type PostTransferResult =
  | { outcome: 'posted'; answer: TransferPosted }
  | { outcome: 'rejected'; reason: RejectionReason; answer: TransferRejected }
  | { outcome: 'held'; answer: HoldPlaced }
  | { outcome: 'captured'; answer: HoldCaptured }
  | { outcome: 'released'; answer: HoldReleased }
  | { outcome: 'duplicate_event' }
  | { outcome: 'already_decided' }
  | { outcome: 'already_settled' };

/**
 * A capture or release that does not fit its hold (see HoldRefusal): a bug upstream, since
 * transfer-service decides a hold's one ending under its row lock. Not retriable: the consumer
 * dead-letters the request for an operator, and nothing of it is written.
 */
export class HoldStepRefusedError extends Error {
  readonly retriable = false;
  constructor(
    readonly request: CaptureRequested | ReleaseRequested,
    readonly reason: HoldRefusal,
  ) {
    super(`${request.type} ${request.id} for hold ${request.aggregateId} refused: ${reason}`);
    this.name = 'HoldStepRefusedError';
  }
}

export function decideIntoBatch(request: LedgerRequest, batch: LedgerBatch): PostTransferResult {
  switch (request.type) {
    case 'TransferRequested':
      return decideTransfer(request, batch);
    case 'CaptureRequested':
      return decideCaptureIntoBatch(request, batch);
    case 'ReleaseRequested':
      return decideReleaseIntoBatch(request, batch);
    default:
      return assertNever(request);
  }
}

/** A payment, a refund (refundOf) or a hold request (holdExpiresAt): decided once per transfer. */
function decideTransfer(request: TransferRequested, batch: LedgerBatch): PostTransferResult {
  const facts = normalizedFacts(request.payload);
  if (batch.isDecided(facts.transferId)) return { outcome: 'already_decided' };
  if (facts.holdExpiresAt !== undefined) return placeHold(request, facts, facts.holdExpiresAt, batch);

  const accounts = { from: batch.account(facts.fromAccountId), to: batch.account(facts.toAccountId) };
  const now = new Date();
  const refundOf = facts.refundOf ?? null;
  const decision =
    refundOf === null
      ? decidePosting(facts, accounts, now)
      : decideRefundPosting(facts, accounts, batch.payment(refundOf), now);
  batch.decide({
    transferId: facts.transferId,
    outcome: decision.outcome === 'post' ? 'POSTED' : 'REJECTED',
    reason: decision.outcome === 'post' ? null : decision.reason,
    decidedAt: now,
    refundOf,
  });
  if (decision.outcome === 'reject') return rejected(request, decision.reason, now);

  batch.append(decision.entries);
  batch.move(facts.fromAccountId, { balanceMinor: decision.balancesAfter.from });
  batch.move(facts.toAccountId, { balanceMinor: decision.balancesAfter.to });
  if (refundOf !== null) batch.countRefund(refundOf, facts.amountMinor);
  return { outcome: 'posted', answer: transferPostedEvent(request, { id: newId(), postedAt: now }) };
}

function placeHold(
  request: TransferRequested,
  facts: TransferFacts,
  holdExpiresAt: string,
  batch: LedgerBatch,
): PostTransferResult {
  const accounts = { from: batch.account(facts.fromAccountId), to: batch.account(facts.toAccountId) };
  const now = new Date();
  const decision = decideHold(facts, accounts, now);
  batch.decide({
    transferId: facts.transferId,
    outcome: decision.outcome === 'hold' ? 'HELD' : 'REJECTED',
    reason: decision.outcome === 'hold' ? null : decision.reason,
    decidedAt: now,
    refundOf: null,
  });
  if (decision.outcome === 'reject') return rejected(request, decision.reason, now);

  batch.placeHold(decision.hold);
  batch.move(facts.fromAccountId, { heldMinor: decision.heldAfter });
  const answer = holdPlacedEvent(request, holdExpiresAt, { id: newId(), heldAt: now });
  return { outcome: 'held', answer };
}

function decideCaptureIntoBatch(request: CaptureRequested, batch: LedgerBatch): PostTransferResult {
  const facts = normalizedFacts(request.payload);
  const accounts = { from: batch.account(facts.fromAccountId), to: batch.account(facts.toAccountId) };
  const now = new Date();
  const decision = decideCapture(batch.hold(facts.transferId), facts, accounts, now);
  switch (decision.outcome) {
    case 'capture':
      batch.append(decision.entries);
      batch.move(facts.fromAccountId, {
        balanceMinor: decision.balancesAfter.from,
        heldMinor: decision.heldAfter,
      });
      batch.move(facts.toAccountId, { balanceMinor: decision.balancesAfter.to });
      batch.settleHold(decision.hold);
      return { outcome: 'captured', answer: holdCapturedEvent(request, { id: newId(), postedAt: now }) };
    case 'already_captured':
      return { outcome: 'already_settled' };
    case 'refuse':
      throw new HoldStepRefusedError(request, decision.reason);
    default:
      return assertNever(decision);
  }
}

function decideReleaseIntoBatch(request: ReleaseRequested, batch: LedgerBatch): PostTransferResult {
  const facts = normalizedFacts(request.payload);
  const now = new Date();
  const decision = decideRelease(
    batch.hold(facts.transferId),
    facts,
    batch.account(facts.fromAccountId),
    now,
  );
  switch (decision.outcome) {
    case 'release':
      batch.move(facts.fromAccountId, { heldMinor: decision.heldAfter });
      batch.settleHold(decision.hold);
      return {
        outcome: 'released',
        answer: holdReleasedEvent(request, { id: newId(), releasedAt: now }),
      };
    case 'already_released':
      return { outcome: 'already_settled' };
    case 'refuse':
      throw new HoldStepRefusedError(request, decision.reason);
    default:
      return assertNever(decision);
  }
}

function rejected(request: TransferRequested, reason: RejectionReason, decidedAt: Date): PostTransferResult {
  const answer = transferRejectedEvent(request, { id: newId(), reason, decidedAt });
  return { outcome: 'rejected', reason, answer };
}

/**
 * The request's facts with lower-case ids. The codec accepts UUIDs in any case, PostgreSQL answers in
 * lower case, and the posting rules compare ids as strings (SAME_ACCOUNT, snapshot ids, a hold's and a
 * refund's ids). The answer event still carries the facts exactly as they were requested.
 */
export function normalizedFacts<F extends TransferFacts>(facts: F): F {
  return {
    ...facts,
    transferId: facts.transferId.toLowerCase(),
    fromAccountId: facts.fromAccountId.toLowerCase(),
    toAccountId: facts.toAccountId.toLowerCase(),
    ...(facts.refundOf === undefined ? {} : { refundOf: facts.refundOf.toLowerCase() }),
  };
}
