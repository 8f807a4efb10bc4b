// The ledger's reads and writes for a batch of transfers, always inside the consumer's transaction
// (`tx`): lock the accounts, read which transfers were decided, then write what the batch decided in
// a fixed number of statements, however many transfers it holds: the decisions, the journal entries
// and the balances. Plain SQL with `$n` parameters: the consumer runs it on node-postgres
// (PgDatabase), which reads BIGINT as a string, so balances are converted here, in one place.
import type { RejectionReason } from '@oncepay/contracts';
import type { SqlExecutor } from '@oncepay/sql';
import { assertInvariant, type AccountSnapshot, type JournalEntryDraft } from '@oncepay/posting-rules';

export interface DecisionRecord {
  transferId: string;
  outcome: 'POSTED' | 'REJECTED';
  reason: RejectionReason | null;
  decidedAt: Date;
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

/** Everything a batch decided, written at its end by `writeBatch`. */
export interface BatchWrites {
  decisions: DecisionRecord[];
  entries: JournalEntryDraft[];
  /** Per account: the balance read under the row lock, and the balance after the batch's postings. */
  balances: Map<string, { before: bigint; after: bigint }>;
}

/**
 * Another transaction decided one of the batch's transfers while this one was deciding it: possible
 * only when the two requests for that transfer do not name the same existing accounts (the account
 * locks serialize the others). Retriable: the batch rolls back, and its retry sees that decision.
 */
export class DecisionRaceError extends Error {
  readonly retriable = true;
  constructor(transferIds: string[]) {
    super(`transfers decided concurrently by another transaction: ${transferIds.join(', ')}`);
    this.name = 'DecisionRaceError';
  }
}

export async function writeBatch(tx: SqlExecutor, writes: BatchWrites): Promise<void> {
  await claimDecisions(tx, writes.decisions);
  await appendJournalEntries(tx, writes.entries);
  await moveBalances(tx, writes.balances);
}

/** Appends the entries in one statement, in order (their ids increase in insertion order). */
async function appendJournalEntries(tx: SqlExecutor, entries: readonly JournalEntryDraft[]): Promise<void> {
  if (entries.length === 0) return;
  const count = await tx.execute(
    `INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at)
     SELECT transfer_id, account_id, direction, amount_minor, currency, posted_at
       FROM unnest($1::uuid[], $2::uuid[], $3::entry_direction[], $4::bigint[], $5::text[], $6::timestamptz[])
            WITH ORDINALITY AS entry (transfer_id, account_id, direction, amount_minor, currency, posted_at, n)
      ORDER BY n`,
    entries.map((e) => e.transferId),
    entries.map((e) => e.accountId),
    entries.map((e) => e.direction),
    entries.map((e) => e.amountMinor.toString()),
    entries.map((e) => e.currency),
    entries.map((e) => e.postedAt.toISOString()),
  );
  assertInvariant(count === entries.length, `wrote ${count} of ${entries.length} journal entries`);
}

/**
 * Inserts the decisions (INSERT ... ON CONFLICT DO NOTHING). A concurrent transaction deciding the same
 * transfer makes the INSERT wait for it: if it commits, the conflict surfaces as a DecisionRaceError.
 */
async function claimDecisions(tx: SqlExecutor, decisions: DecisionRecord[]): Promise<void> {
  if (decisions.length === 0) return;
  const claimed = await tx.query<{ transfer_id: string }[]>(
    `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
     SELECT * FROM unnest($1::uuid[], $2::ledger_outcome[], $3::text[], $4::timestamptz[])
     ON CONFLICT (transfer_id) DO NOTHING
     RETURNING transfer_id::text`,
    decisions.map((d) => d.transferId),
    decisions.map((d) => d.outcome),
    decisions.map((d) => d.reason),
    decisions.map((d) => d.decidedAt.toISOString()),
  );
  if (claimed.length === decisions.length) return;
  const won = new Set(claimed.map((row) => row.transfer_id));
  throw new DecisionRaceError(decisions.map((d) => d.transferId).filter((id) => !won.has(id)));
}

/**
 * Records one decision unless the transfer has one already; true when this call recorded it. A
 * concurrent transaction deciding the same transfer makes the INSERT wait for it, and then yield.
 */
export async function claimDecisionIfUndecided(tx: SqlExecutor, decision: DecisionRecord): Promise<boolean> {
  const claimed = await tx.query<{ transfer_id: string }[]>(
    `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
     VALUES ($1::uuid, $2::ledger_outcome, $3::text, $4::timestamptz)
     ON CONFLICT (transfer_id) DO NOTHING
     RETURNING transfer_id::text`,
    decision.transferId,
    decision.outcome,
    decision.reason,
    decision.decidedAt.toISOString(),
  );
  return claimed.length === 1;
}

/**
 * Moves each account from the balance read under its row lock to its balance after the batch, in one
 * statement. Each row is a compare-and-set on the locked balance: under the lock it always matches, so
 * a mismatch means the lock was not held and nothing may be written.
 */
async function moveBalances(
  tx: SqlExecutor,
  balances: Map<string, { before: bigint; after: bigint }>,
): Promise<void> {
  const moved = [...balances].filter(([, { before, after }]) => before !== after);
  if (moved.length === 0) return;
  const count = await tx.execute(
    `UPDATE accounts SET balance_minor = moved.after
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS moved (id, before, after)
      WHERE accounts.id = moved.id AND accounts.balance_minor = moved.before`,
    moved.map(([id]) => id),
    moved.map(([, b]) => b.before.toString()),
    moved.map(([, b]) => b.after.toString()),
  );
  assertInvariant(
    count === moved.length,
    `moved ${count} of ${moved.length} balances: a row lock was not held`,
  );
}
