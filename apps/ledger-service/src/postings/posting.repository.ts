// The ledger's reads and writes for a batch of transfers, always inside the consumer's transaction
// (`tx`): lock the accounts, read which transfers were decided, then write what the batch decided in
// a fixed number of statements, however many transfers it holds: the decisions, the journal entries
// and the balances.
import type { RejectionReason } from '@oncepay/contracts';
import { assertInvariant, type AccountSnapshot, type JournalEntryDraft } from '@oncepay/posting-rules';
import type { LedgerTransaction } from '../database';

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
  tx: LedgerTransaction,
  accountIds: readonly string[],
): Promise<Map<string, AccountSnapshot>> {
  const ids = [...new Set(accountIds)].sort();
  const rows = await tx.$queryRaw<AccountSnapshot[]>`
    SELECT id::text                 AS "id",
           owner_client_id          AS "ownerClientId",
           currency,
           balance_minor            AS "balanceMinor",
           allow_negative_balance   AS "allowNegativeBalance"
      FROM accounts
     WHERE id = ANY(${ids}::uuid[])
     ORDER BY id
       FOR UPDATE`;
  for (const row of rows) {
    assertInvariant(
      typeof row.balanceMinor === 'bigint',
      `account ${row.id}: balance did not read as bigint`,
    );
  }
  return new Map(rows.map((row) => [row.id, row]));
}

/** Which of `transferIds` already have a decision. */
export async function decidedAmong(
  tx: LedgerTransaction,
  transferIds: readonly string[],
): Promise<Set<string>> {
  const rows = await tx.ledgerDecision.findMany({
    where: { transferId: { in: [...transferIds] } },
    select: { transferId: true },
  });
  return new Set(rows.map((row) => row.transferId));
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

export async function writeBatch(tx: LedgerTransaction, writes: BatchWrites): Promise<void> {
  await claimDecisions(tx, writes.decisions);
  if (writes.entries.length > 0) {
    const { count } = await tx.journalEntry.createMany({ data: writes.entries });
    assertInvariant(
      count === writes.entries.length,
      `wrote ${count} of ${writes.entries.length} journal entries`,
    );
  }
  await moveBalances(tx, writes.balances);
}

/**
 * Inserts the decisions (INSERT ... ON CONFLICT DO NOTHING). A concurrent transaction deciding the same
 * transfer makes the INSERT wait for it: if it commits, the conflict surfaces as a DecisionRaceError.
 */
async function claimDecisions(tx: LedgerTransaction, decisions: DecisionRecord[]): Promise<void> {
  if (decisions.length === 0) return;
  const claimed = await tx.$queryRaw<{ transfer_id: string }[]>`
    INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
    SELECT * FROM unnest(
      ${decisions.map((d) => d.transferId)}::uuid[],
      ${decisions.map((d) => d.outcome)}::ledger_outcome[],
      ${decisions.map((d) => d.reason)}::text[],
      ${decisions.map((d) => d.decidedAt)}::timestamptz[])
    ON CONFLICT (transfer_id) DO NOTHING
    RETURNING transfer_id::text`;
  if (claimed.length === decisions.length) return;
  const won = new Set(claimed.map((row) => row.transfer_id));
  throw new DecisionRaceError(decisions.map((d) => d.transferId).filter((id) => !won.has(id)));
}

/**
 * Moves each account from the balance read under its row lock to its balance after the batch, in one
 * statement. Each row is a compare-and-set on the locked balance: under the lock it always matches, so
 * a mismatch means the lock was not held and nothing may be written.
 */
async function moveBalances(
  tx: LedgerTransaction,
  balances: Map<string, { before: bigint; after: bigint }>,
): Promise<void> {
  const moved = [...balances].filter(([, { before, after }]) => before !== after);
  if (moved.length === 0) return;
  const count = await tx.$executeRaw`
    UPDATE accounts SET balance_minor = moved.after
      FROM unnest(
        ${moved.map(([id]) => id)}::uuid[],
        ${moved.map(([, b]) => b.before.toString())}::bigint[],
        ${moved.map(([, b]) => b.after.toString())}::bigint[]) AS moved (id, before, after)
     WHERE accounts.id = moved.id AND accounts.balance_minor = moved.before`;
  assertInvariant(
    count === moved.length,
    `moved ${count} of ${moved.length} balances: a row lock was not held`,
  );
}
