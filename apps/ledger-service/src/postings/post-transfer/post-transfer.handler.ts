// Posts requested transfers, effectively once, a batch at a time. In ONE transaction it records the
// events' ids as processed, locks every account the batch touches (one sorted statement), decides each
// transfer in order in memory under those locks (each one sees the balances the ones before it left),
// then writes what it decided: the decisions, the journal entries (none for a rejection), the final
// balances and the answers in the outbox. So an answer is published if and only if its decision
// committed, and no delivery can decide twice. A batch of one is the simple case.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type {
  RejectionReason,
  TransferFacts,
  TransferPosted,
  TransferRejected,
  TransferRequested,
} from '@oncepay/contracts';
import { handleBatchOnce } from '@oncepay/dedup';
import type { SqlExecutor, PgDatabase } from '@oncepay/sql';
import { enqueueEvents } from '@oncepay/messaging';
import { PG_DATABASE } from '@oncepay/service-runtime';
import { decidePosting, type AccountSnapshot } from '@oncepay/posting-rules';
import { randomUUID } from 'node:crypto';
import {
  claimDecisionIfUndecided,
  DecisionRaceError,
  decidedAmong,
  lockAccounts,
  writeBatch,
  type BatchWrites,
} from '../posting.repository';
import { transferPostedEvent, transferRejectedEvent } from './ledger-answer.event';

/** The dedup consumer name: processed_messages rows are per consumer, so the name never changes. */
export const POST_TRANSFER_CONSUMER = 'ledger-service.post-transfer';

/** A race needs another transaction per attempt; a few attempts settle any real contention. */
const MAX_DECISION_RACES = 5;

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

  /** node-postgres, not Prisma: a batch is a fixed handful of statements, run many times a second. */
  constructor(@Inject(PG_DATABASE) private readonly db: PgDatabase) {}

  async execute(request: TransferRequested): Promise<PostTransferResult> {
    const [result] = await this.executeBatch([request]);
    return result as PostTransferResult;
  }

  /** Decides a batch of requests in one transaction; one result per request, in the same order. */
  async executeBatch(requests: readonly TransferRequested[]): Promise<PostTransferResult[]> {
    if (requests.length === 0) return [];
    const handled = await this.decideBatchOnce(requests);
    const results = handled.map((entry): PostTransferResult =>
      entry.outcome === 'duplicate' ? { outcome: 'duplicate_event' } : entry.result,
    );
    requests.forEach((request, i) => this.logResult(request, results[i] as PostTransferResult));
    return results;
  }

  /**
   * A DecisionRaceError rolled the batch back because another transaction decided one of its transfers
   * first; that decision is committed now (the INSERT waited for it), so the next attempt skips it.
   */
  private async decideBatchOnce(requests: readonly TransferRequested[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tryDecideBatchOnce(requests);
      } catch (error) {
        if (!(error instanceof DecisionRaceError) || attempt >= MAX_DECISION_RACES) throw error;
        this.logger.warn({ message: 'a transfer of the batch was decided concurrently; retrying', attempt });
      }
    }
  }

  private tryDecideBatchOnce(requests: readonly TransferRequested[]) {
    let batch: BatchState | null = null;
    return handleBatchOnce<SqlExecutor, TransferRequested, PostTransferResult>({
      consumer: POST_TRANSFER_CONSUMER,
      messages: requests,
      // READ COMMITTED is enough: the account row locks serialize postings, and each statement after a
      // lock wait sees what the lock holder committed.
      transaction: (fn) => this.db.transaction(fn),
      prepare: async (tx, fresh) => {
        batch = await this.lockBatch(tx, fresh);
      },
      effect: async (_tx, request) => decideIntoBatch(request, batch as BatchState),
      finish: async (tx, results) => {
        await writeBatch(tx, (batch as BatchState).writes);
        // The answers leave in decision order.
        await enqueueEvents(tx, results.flatMap(answerOf));
      },
    });
  }

  /**
   * Locks every account the batch names, in one statement and a fixed order, so two batches never
   * deadlock; then reads which of its transfers were decided before (a decision committed by another
   * instance is visible now: it held these locks, and READ COMMITTED reads what committed).
   */
  private async lockBatch(tx: SqlExecutor, fresh: readonly TransferRequested[]): Promise<BatchState> {
    const facts = fresh.map((request) => normalizedFacts(request.payload));
    const accounts = await lockAccounts(
      tx,
      facts.flatMap((f) => [f.fromAccountId, f.toAccountId]),
    );
    const decided = await decidedAmong(
      tx,
      facts.map((f) => f.transferId),
    );
    return { accounts, decided, writes: { decisions: [], entries: [], balances: new Map() } };
  }

  /**
   * Ends, by design, a transfer whose request is being dead-lettered because handling it kept failing:
   * in ONE transaction the request's dedup record, a REJECTED decision with UNPROCESSABLE and the
   * TransferRejected in the outbox, so the transfer ends FAILED and its client is told. It changes
   * nothing when the request was processed before or the transfer already has a decision, posted or
   * rejected: money that moved is never failed after the fact. A replay of the dead letter is then a
   * duplicate, like any redelivery.
   */
  async rejectUnprocessable(request: TransferRequested): Promise<PostTransferResult> {
    const [handled] = await handleBatchOnce<SqlExecutor, TransferRequested, PostTransferResult>({
      consumer: POST_TRANSFER_CONSUMER,
      messages: [request],
      transaction: (fn) => this.db.transaction(fn),
      effect: async (tx) => {
        const reason: RejectionReason = 'UNPROCESSABLE';
        const decidedAt = new Date();
        const { transferId } = normalizedFacts(request.payload);
        const decision = { transferId, outcome: 'REJECTED' as const, reason, decidedAt };
        if (!(await claimDecisionIfUndecided(tx, decision))) return { outcome: 'already_decided' };
        const answer = transferRejectedEvent(request, { id: randomUUID(), reason, decidedAt });
        await enqueueEvents(tx, [answer]);
        return { outcome: 'rejected', reason, answer };
      },
    });
    const result: PostTransferResult =
      handled?.outcome === 'processed' ? handled.result : { outcome: 'duplicate_event' };
    this.logResult(request, result);
    return result;
  }

  private logResult(request: TransferRequested, result: PostTransferResult): void {
    this.logger.log({
      message: `transfer request ${result.outcome}`,
      transferId: request.aggregateId,
      eventId: request.id,
      correlationId: request.correlationId,
      ...(result.outcome === 'rejected' ? { reason: result.reason } : {}),
    });
  }
}

/** What a batch learnt under its locks, and what it decided so far. */
interface BatchState {
  /** The locked accounts, with the balances the batch's postings so far left them. */
  accounts: Map<string, AccountSnapshot>;
  /** Transfers decided before the batch, or earlier in it. */
  decided: Set<string>;
  writes: BatchWrites;
}

/**
 * Decides one request with the pure posting rules against the batch's current snapshots, and records
 * the outcome in the batch: its balances, its decided set and what it will write (so not pure itself).
 */
function decideIntoBatch(request: TransferRequested, batch: BatchState): PostTransferResult {
  const facts = normalizedFacts(request.payload);
  if (batch.decided.has(facts.transferId)) return { outcome: 'already_decided' };
  batch.decided.add(facts.transferId);

  const from = batch.accounts.get(facts.fromAccountId) ?? null;
  const to = batch.accounts.get(facts.toAccountId) ?? null;
  const now = new Date();
  const decision = decidePosting(facts, { from, to }, now);
  batch.writes.decisions.push({
    transferId: facts.transferId,
    outcome: decision.outcome === 'post' ? 'POSTED' : 'REJECTED',
    reason: decision.outcome === 'post' ? null : decision.reason,
    decidedAt: now,
  });
  if (decision.outcome === 'reject') {
    const answer = transferRejectedEvent(request, {
      id: randomUUID(),
      reason: decision.reason,
      decidedAt: now,
    });
    return { outcome: 'rejected', reason: decision.reason, answer };
  }
  // decidePosting posts only when both accounts exist.
  if (!from || !to) throw new Error(`transfer ${facts.transferId}: posted without both account snapshots`);
  batch.writes.entries.push(...decision.entries);
  moveInBatch(batch, from, decision.balancesAfter.from);
  moveInBatch(batch, to, decision.balancesAfter.to);
  return { outcome: 'posted', answer: transferPostedEvent(request, { id: randomUUID(), postedAt: now }) };
}

/** The next transfer of the batch on this account starts from the balance just decided. */
function moveInBatch(batch: BatchState, account: AccountSnapshot, balanceMinor: bigint): void {
  const before = batch.writes.balances.get(account.id)?.before ?? account.balanceMinor;
  batch.writes.balances.set(account.id, { before, after: balanceMinor });
  batch.accounts.set(account.id, { ...account, balanceMinor });
}

function answerOf(result: PostTransferResult): (TransferPosted | TransferRejected)[] {
  return result.outcome === 'posted' || result.outcome === 'rejected' ? [result.answer] : [];
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
