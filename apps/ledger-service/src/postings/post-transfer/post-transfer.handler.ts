// Posts one requested transfer, effectively once: in ONE transaction it records the event id as
// processed, decides the transfer under the row locks of its accounts, writes the journal entries and
// balances (or nothing, on a rejection), the transfer's decision, and the answer in the outbox. So the
// answer is published if and only if the decision committed, and no delivery can decide twice.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type {
  RejectionReason,
  TransferFacts,
  TransferPosted,
  TransferRejected,
  TransferRequested,
} from '@oncepay/contracts';
import { handleOnce } from '@oncepay/dedup';
import { enqueueEvent } from '@oncepay/messaging';
import { PRISMA } from '@oncepay/nest-common';
import { decidePosting } from '@oncepay/posting-rules';
import { randomUUID } from 'node:crypto';
import { TRANSACTION_OPTIONS, type LedgerDatabase, type LedgerTransaction } from '../../database';
import { applyPosting, claimDecision, hasDecision, lockAccounts } from '../posting.repository';
import { transferPostedEvent, transferRejectedEvent } from './ledger-answer.event';

/** The dedup consumer name: processed_messages rows are per consumer, so the name never changes. */
export const POST_TRANSFER_CONSUMER = 'ledger-service.post-transfer';

/**
 * `posted`: both entries and balances were written; `answer` (TransferPosted) is in the outbox.
 * `rejected`: nothing was written to the journal; `answer` (TransferRejected with `reason`) is in the outbox.
 * `duplicate_event`: this event id was processed before (a Kafka redelivery); nothing was done.
 * `already_decided`: another event for the same transfer got its decision first; nothing was done.
 */
export type PostTransferResult =
  | { outcome: 'posted'; answer: TransferPosted }
  | { outcome: 'rejected'; reason: RejectionReason; answer: TransferRejected }
  | { outcome: 'duplicate_event' }
  | { outcome: 'already_decided' };

@Injectable()
export class PostTransferHandler {
  private readonly logger = new Logger(PostTransferHandler.name);

  constructor(@Inject(PRISMA) private readonly db: LedgerDatabase) {}

  async execute(request: TransferRequested): Promise<PostTransferResult> {
    const handled = await handleOnce<LedgerTransaction, PostTransferResult>({
      consumer: POST_TRANSFER_CONSUMER,
      messageId: request.id,
      transaction: (fn) => this.db.$transaction(fn, TRANSACTION_OPTIONS),
      effect: (tx) => this.decideAndRecord(tx, request),
    });
    const result: PostTransferResult =
      handled.outcome === 'duplicate' ? { outcome: 'duplicate_event' } : handled.result;
    this.logger.log({
      message: `transfer request ${result.outcome}`,
      transferId: request.aggregateId,
      eventId: request.id,
      correlationId: request.correlationId,
      ...(result.outcome === 'rejected' ? { reason: result.reason } : {}),
    });
    return result;
  }

  private async decideAndRecord(
    tx: LedgerTransaction,
    request: TransferRequested,
  ): Promise<PostTransferResult> {
    const facts = normalizedFacts(request.payload);
    // Locks first: a second request for this transfer waits here for the first one's commit, and then
    // the decision check below sees its decision.
    const locked = await lockAccounts(tx, [facts.fromAccountId, facts.toAccountId]);
    if (await hasDecision(tx, facts.transferId)) return { outcome: 'already_decided' };

    const from = locked.get(facts.fromAccountId) ?? null;
    const to = locked.get(facts.toAccountId) ?? null;
    const now = new Date();
    const decision = decidePosting(facts, { from, to }, now);
    const claimed = await claimDecision(tx, {
      transferId: facts.transferId,
      outcome: decision.outcome === 'post' ? 'POSTED' : 'REJECTED',
      reason: decision.outcome === 'post' ? null : decision.reason,
      decidedAt: now,
    });
    // The locks serialize two requests for one transfer only when they name the same, existing
    // accounts; otherwise the claim does (its INSERT waits for the other transaction's row).
    if (!claimed) return { outcome: 'already_decided' };
    if (decision.outcome === 'reject') return this.reject(tx, request, decision.reason, now);
    // decidePosting posts only when both accounts exist.
    if (!from || !to) throw new Error(`transfer ${facts.transferId}: posted without both account snapshots`);
    await applyPosting(tx, decision, { from, to });
    const answer = transferPostedEvent(request, { id: randomUUID(), postedAt: now });
    await enqueueEvent(tx, answer);
    return { outcome: 'posted', answer };
  }

  private async reject(
    tx: LedgerTransaction,
    request: TransferRequested,
    reason: RejectionReason,
    decidedAt: Date,
  ): Promise<PostTransferResult> {
    const answer = transferRejectedEvent(request, { id: randomUUID(), reason, decidedAt });
    await enqueueEvent(tx, answer);
    return { outcome: 'rejected', reason, answer };
  }
}

/**
 * The request's facts with lower-case ids. The codec accepts UUIDs in any case, PostgreSQL answers in
 * lower case, and the posting rules compare ids as strings (SAME_ACCOUNT, snapshot ids). The answer
 * event still carries the facts exactly as they were requested.
 */
function normalizedFacts(facts: TransferFacts): TransferFacts {
  return {
    ...facts,
    transferId: facts.transferId.toLowerCase(),
    fromAccountId: facts.fromAccountId.toLowerCase(),
    toAccountId: facts.toAccountId.toLowerCase(),
  };
}
