// The ledger's reads and writes for a batch of requests, always inside the consumer's transaction
// (`tx`): lock the accounts, read which transfers were decided (and, when the batch needs them, lock
// the holds it captures or releases and read the payments it refunds), then write what the batch
// decided in ONE statement, however many requests it holds: the decisions, the journal entries, the
// holds, the balances and the answers in the outbox. Plain SQL with `$n` parameters: the consumer runs it on
// node-postgres (PgDatabase), which reads BIGINT as a string, so amounts are converted here, in one place.
import type { OncePayEvent, RejectionReason, Release } from '@oncepay/contracts';
import { insertOutboxRowsSql, outboxRowParams } from '@oncepay/messaging';
import type { SqlExecutor } from '@oncepay/sql';
import {
  assertInvariant,
  type AccountSnapshot,
  type HoldSnapshot,
  type HoldStatus,
  type JournalEntryDraft,
  type RefundablePayment,
} from '@oncepay/posting-rules';

export interface DecisionRecord {
  transferId: string;
  /** HELD: a hold request placed as a hold; its capture posts later, under the same transfer id. */
  outcome: 'POSTED' | 'REJECTED' | 'HELD';
  reason: RejectionReason | null;
  decidedAt: Date;
  /** For a refund: the payment it pays back (whatever the outcome). */
  refundOf: string | null;
}

/** An account's posted balance and held amount, in minor units. */
export interface AccountAmounts {
  balanceMinor: bigint;
  heldMinor: bigint;
}

/**
 * Locks the existing ones of `accountIds` (FOR UPDATE) until the transaction ends, and returns their
 * snapshots by id; a missing account is simply absent from the map.
 *
 * Every posting locks in the same order (ascending id), so two transfers between the same accounts
 * in opposite directions queue instead of deadlocking. PostgreSQL locks rows as the sorted result is
 * produced (its LockRows step runs above the sort), so ORDER BY id fixes the locking order.
 */
export async function lockAccounts(
  tx: SqlExecutor,
  accountIds: readonly string[],
): Promise<Map<string, AccountSnapshot>> {
  const ids = [...new Set(accountIds)].sort();
  const rows = await tx.query<
    (Omit<AccountSnapshot, 'balanceMinor' | 'heldMinor'> & { balanceMinor: string; heldMinor: string })[]
  >(
    `SELECT id::text                 AS "id",
            owner_client_id          AS "ownerClientId",
            currency,
            balance_minor::text      AS "balanceMinor",
            held_minor::text         AS "heldMinor",
            allow_negative_balance   AS "allowNegativeBalance"
       FROM accounts
      WHERE id = ANY($1::uuid[])
      ORDER BY id
        FOR UPDATE`,
    ids,
  );
  // Read as text and parsed to bigint: never through a JavaScript number.
  return new Map(
    rows.map((row) => [
      row.id,
      { ...row, balanceMinor: BigInt(row.balanceMinor), heldMinor: BigInt(row.heldMinor) },
    ]),
  );
}

/** Which of `transferIds` already have a decision. */
export async function decidedAmong(tx: SqlExecutor, transferIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.query<{ transfer_id: string }[]>(
    `SELECT transfer_id::text AS transfer_id FROM ledger_decisions WHERE transfer_id = ANY($1::uuid[])`,
    transferIds,
  );
  return new Set(rows.map((row) => row.transfer_id));
}

/**
 * Locks the existing ones of the holds of `transferIds` (FOR UPDATE, in id order) and returns them by
 * transfer id. Called after lockAccounts: every transaction takes account locks before hold locks.
 */
export async function lockHolds(
  tx: SqlExecutor,
  transferIds: readonly string[],
): Promise<Map<string, HoldSnapshot>> {
  if (transferIds.length === 0) return new Map();
  const rows = await tx.query<HoldRow[]>(
    `SELECT transfer_id::text      AS "transferId",
            account_id::text       AS "accountId",
            to_account_id::text    AS "toAccountId",
            amount_minor::text     AS "amountMinor",
            currency,
            status::text           AS "status",
            expires_at             AS "expiresAt",
            placed_at              AS "placedAt",
            captured_minor::text   AS "capturedMinor",
            release::text          AS "release",
            settled_at             AS "settledAt"
       FROM holds
      WHERE transfer_id = ANY($1::uuid[])
      ORDER BY transfer_id
        FOR UPDATE`,
    [...new Set(transferIds)].sort(),
  );
  return new Map(
    rows.map((row) => [
      row.transferId,
      {
        ...row,
        amountMinor: BigInt(row.amountMinor),
        capturedMinor: row.capturedMinor === null ? null : BigInt(row.capturedMinor),
      },
    ]),
  );
}

type HoldRow = Omit<HoldSnapshot, 'amountMinor' | 'capturedMinor'> & {
  amountMinor: string;
  capturedMinor: string | null;
  status: HoldStatus;
  release: Release | null;
};

/**
 * What the ledger posted for each of `paymentIds` (absent when it posted nothing, or when it is a refund
 * itself): its DEBIT and CREDIT entries, and the sum of the DEBITs of its refunds POSTED so far. One statement. Read after the
 * refunds' account locks: every refund of a payment locks the payment's two accounts, so no other
 * refund of it can commit between this read and this transaction's commit.
 */
export async function readRefundablePayments(
  tx: SqlExecutor,
  paymentIds: readonly string[],
): Promise<Map<string, RefundablePayment>> {
  if (paymentIds.length === 0) return new Map();
  const rows = await tx.query<
    {
      paymentId: string;
      payerAccountId: string;
      payeeAccountId: string;
      currency: string;
      paidMinor: string;
      refundedMinor: string;
    }[]
  >(
    `SELECT payment.id::text           AS "paymentId",
            debit.account_id::text     AS "payerAccountId",
            credit.account_id::text    AS "payeeAccountId",
            debit.currency,
            debit.amount_minor::text   AS "paidMinor",
            (SELECT coalesce(sum(refund.amount_minor), 0)
               FROM ledger_decisions decision
               JOIN journal_entries refund
                 ON refund.transfer_id = decision.transfer_id AND refund.direction = 'DEBIT'
              WHERE decision.refund_of = payment.id AND decision.outcome = 'POSTED')::text AS "refundedMinor"
       FROM unnest($1::uuid[]) AS payment (id)
       JOIN journal_entries debit ON debit.transfer_id = payment.id AND debit.direction = 'DEBIT'
       JOIN journal_entries credit ON credit.transfer_id = payment.id AND credit.direction = 'CREDIT'
      -- A refund is not refundable itself: refunding it would pay the payment's payer twice.
      WHERE NOT EXISTS (SELECT FROM ledger_decisions own
                         WHERE own.transfer_id = payment.id AND own.refund_of IS NOT NULL)`,
    [...new Set(paymentIds)],
  );
  return new Map(
    rows.map(({ paymentId, paidMinor, refundedMinor, ...rest }) => [
      paymentId,
      { ...rest, paidMinor: BigInt(paidMinor), refundedMinor: BigInt(refundedMinor) },
    ]),
  );
}

/** Everything a batch decided, written at its end by `writeBatch`. */
export interface BatchWrites {
  decisions: DecisionRecord[];
  entries: JournalEntryDraft[];
  /** Per account: the amounts read under the row lock, and the amounts after the batch's decisions. */
  accounts: Map<string, { before: AccountAmounts; after: AccountAmounts }>;
  /** Holds placed by the batch, in the state the batch left them (a hold may be placed and captured). */
  placedHolds: Map<string, HoldSnapshot>;
  /** Holds that existed before the batch (ACTIVE then), captured or released by it. */
  settledHolds: Map<string, HoldSnapshot>;
}

/**
 * Another transaction decided one of the batch's transfers while this one was deciding it: possible
 * only when the two did not serialize on the same account locks (requests naming accounts that do not
 * exist, or the dead-letter path, which rejects a request without locking any account). Retriable: the
 * batch rolls back, and its retry sees that decision.
 */
export class DecisionRaceError extends Error {
  readonly retriable = true;
  constructor(transferIds: string[]) {
    super(`transfers decided concurrently by another transaction: ${transferIds.join(', ')}`);
    this.name = 'DecisionRaceError';
  }
}

/**
 * Writes the batch and its answers in ONE statement (a round trip per statement is what a batch costs):
 * the decisions, the journal entries, the holds placed and ended, the account amounts and the answers
 * in the outbox, each a data-modifying CTE, so they commit or roll back together like separate
 * statements would. They touch different rows (a hold placed by the batch is inserted in its final
 * state, never also updated), so it does not matter that no CTE sees another's rows. A lost race for a
 * decision, or a compare-and-set that did not match, is told by what the statement returns, and thrown:
 * the transaction then rolls back everything it wrote. The answers go in in this order (sending order).
 */
export async function writeBatch(
  tx: SqlExecutor,
  writes: BatchWrites,
  answers: readonly OncePayEvent[],
): Promise<void> {
  const { decisions, entries } = writes;
  const placed = [...writes.placedHolds.values()];
  const ended = [...writes.settledHolds.values()];
  const moved = [...writes.accounts].filter(
    ([, { before, after }]) =>
      before.balanceMinor !== after.balanceMinor || before.heldMinor !== after.heldMinor,
  );
  if (decisions.length + entries.length + placed.length + ended.length + moved.length + answers.length === 0)
    return;
  const [endedIds, , , , , endedStatuses, , , endedCaptured, endedReleases, endedAt] = holdColumns(ended);
  const [written] = await tx.query<WrittenBatch[]>(
    WRITE_BATCH,
    // $1-$5: the decisions
    decisions.map((d) => d.transferId),
    decisions.map((d) => d.outcome),
    decisions.map((d) => d.reason),
    decisions.map((d) => d.decidedAt.toISOString()),
    decisions.map((d) => d.refundOf),
    // $6-$11: the journal entries
    entries.map((e) => e.transferId),
    entries.map((e) => e.accountId),
    entries.map((e) => e.direction),
    entries.map((e) => e.amountMinor.toString()),
    entries.map((e) => e.currency),
    entries.map((e) => e.postedAt.toISOString()),
    // $12-$22: the holds placed
    ...holdColumns(placed),
    // $23-$27: the holds ended
    endedIds,
    endedStatuses,
    endedCaptured,
    endedReleases,
    endedAt,
    // $28-$32: the accounts moved
    moved.map(([id]) => id),
    moved.map(([, m]) => m.before.balanceMinor.toString()),
    moved.map(([, m]) => m.before.heldMinor.toString()),
    moved.map(([, m]) => m.after.balanceMinor.toString()),
    moved.map(([, m]) => m.after.heldMinor.toString()),
    // $33-$37: the answers
    ...outboxRowParams(answers),
  );
  if (!written) throw new Error('the batch write returned no row');
  if (written.claimed.length !== decisions.length) {
    const won = new Set(written.claimed);
    throw new DecisionRaceError(decisions.map((d) => d.transferId).filter((id) => !won.has(id)));
  }
  assertInvariant(
    written.entries === entries.length,
    `wrote ${written.entries} of ${entries.length} journal entries`,
  );
  assertInvariant(written.placed === placed.length, `inserted ${written.placed} of ${placed.length} holds`);
  assertInvariant(
    written.ended === ended.length,
    `settled ${written.ended} of ${ended.length} holds: a hold lock was not held`,
  );
  assertInvariant(
    written.moved === moved.length,
    `moved ${written.moved} of ${moved.length} accounts: a row lock was not held`,
  );
}

/** What WRITE_BATCH wrote: the transfers whose decision it claimed, and how many rows of each kind. */
interface WrittenBatch {
  claimed: string[];
  entries: number;
  placed: number;
  ended: number;
  moved: number;
}

/**
 * `writeBatch`'s statement. The decisions: INSERT ... ON CONFLICT DO NOTHING, so a concurrent transaction
 * deciding the same transfer makes it wait, and, if that one commits, the transfer is missing from
 * `claimed` (a DecisionRaceError). They go in in transfer id order, like the locks: two batches that
 * decide the same two transfers, unserialized by account locks, wait on each other in one order and
 * never deadlock. The entries and holds of a transfer this batch decides are written
 * only if it claimed the decision: those of a transfer decided elsewhere would collide with that
 * decision's own (a unique violation, where the race must surface as the retriable DecisionRaceError),
 * and the batch rolls back anyway. A capture's entries belong to a hold decided before: always written. The entries in order (their ids increase in insertion order). Ending
 * a hold and moving an account are compare-and-sets (on ACTIVE, on the amounts read under the row lock):
 * under the locks they always match, so a mismatch means a lock was not held and nothing may be written.
 */
const WRITE_BATCH = `
  WITH claimed AS (
    INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at, refund_of)
    SELECT * FROM unnest($1::uuid[], $2::ledger_outcome[], $3::text[], $4::timestamptz[], $5::uuid[])
                  AS decision (transfer_id, outcome, reason, decided_at, refund_of)
     ORDER BY transfer_id
    ON CONFLICT (transfer_id) DO NOTHING
    RETURNING transfer_id),
  appended AS (
    INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at)
    SELECT transfer_id, account_id, direction, amount_minor, currency, posted_at
      FROM unnest($6::uuid[], $7::uuid[], $8::entry_direction[], $9::bigint[], $10::text[], $11::timestamptz[])
           WITH ORDINALITY AS entry (transfer_id, account_id, direction, amount_minor, currency, posted_at, n)
     WHERE transfer_id IN (SELECT transfer_id FROM claimed) OR transfer_id <> ALL ($1::uuid[])
     ORDER BY n
    RETURNING 1),
  placed AS (
    INSERT INTO holds (transfer_id, account_id, to_account_id, amount_minor, currency, status, expires_at,
                       placed_at, captured_minor, release, settled_at)
    SELECT * FROM unnest($12::uuid[], $13::uuid[], $14::uuid[], $15::bigint[], $16::text[], $17::hold_status[],
                         $18::timestamptz[], $19::timestamptz[], $20::bigint[], $21::hold_release[], $22::timestamptz[])
                  AS hold (transfer_id, account_id, to_account_id, amount_minor, currency, status, expires_at,
                           placed_at, captured_minor, release, settled_at)
     WHERE transfer_id IN (SELECT transfer_id FROM claimed)
    RETURNING 1),
  ended AS (
    UPDATE holds
       SET status = settled.status, captured_minor = settled.captured_minor, release = settled.release,
           settled_at = settled.settled_at
      FROM unnest($23::uuid[], $24::hold_status[], $25::bigint[], $26::hold_release[], $27::timestamptz[])
           AS settled (transfer_id, status, captured_minor, release, settled_at)
     WHERE holds.transfer_id = settled.transfer_id AND holds.status = 'ACTIVE'
    RETURNING 1),
  moved AS (
    UPDATE accounts SET balance_minor = m.balance_after, held_minor = m.held_after
      FROM unnest($28::uuid[], $29::bigint[], $30::bigint[], $31::bigint[], $32::bigint[])
           AS m (id, balance_before, held_before, balance_after, held_after)
     WHERE accounts.id = m.id
       AND accounts.balance_minor = m.balance_before AND accounts.held_minor = m.held_before
    RETURNING 1),
  queued AS (${insertOutboxRowsSql(33)})
  SELECT ARRAY(SELECT transfer_id::text FROM claimed) AS claimed,
         (SELECT count(*) FROM appended)::int AS entries,
         (SELECT count(*) FROM placed)::int AS placed,
         (SELECT count(*) FROM ended)::int AS ended,
         (SELECT count(*) FROM moved)::int AS moved`;

/**
 * Records one decision unless the transfer has one already; true when this call recorded it. A
 * concurrent transaction deciding the same transfer makes the INSERT wait for it, and then yield.
 */
export async function claimDecisionIfUndecided(tx: SqlExecutor, decision: DecisionRecord): Promise<boolean> {
  const claimed = await tx.query<{ transfer_id: string }[]>(
    `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at, refund_of)
     VALUES ($1::uuid, $2::ledger_outcome, $3::text, $4::timestamptz, $5::uuid)
     ON CONFLICT (transfer_id) DO NOTHING
     RETURNING transfer_id::text`,
    decision.transferId,
    decision.outcome,
    decision.reason,
    decision.decidedAt.toISOString(),
    decision.refundOf,
  );
  return claimed.length === 1;
}

function holdColumns(holds: readonly HoldSnapshot[]) {
  return [
    holds.map((h) => h.transferId),
    holds.map((h) => h.accountId),
    holds.map((h) => h.toAccountId),
    holds.map((h) => h.amountMinor.toString()),
    holds.map((h) => h.currency),
    holds.map((h) => h.status),
    holds.map((h) => h.expiresAt.toISOString()),
    holds.map((h) => h.placedAt.toISOString()),
    holds.map((h) => h.capturedMinor?.toString() ?? null),
    holds.map((h) => h.release),
    holds.map((h) => h.settledAt?.toISOString() ?? null),
  ] as const;
}
