// The ledger's writes for one transfer, always inside the consumer's transaction (`tx`): lock the
// accounts, read and claim the transfers' decisions, append the journal entries and move the balances.
import type { RejectionReason } from '@oncepay/contracts';
import { assertInvariant, type AccountSnapshot, type PostingDecision } from '@oncepay/posting-rules';
import type { LedgerTransaction } from '../database';

export type Posting = Extract<PostingDecision, { outcome: 'post' }>;

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

/**
 * Inserts the transfer's decision unless one exists (INSERT ... ON CONFLICT DO NOTHING); false when it
 * does. A concurrent transaction deciding the same transfer makes this INSERT wait for it: if it
 * commits, this returns false and the caller writes nothing more; if it rolls back, this one claims.
 */
export async function claimDecision(tx: LedgerTransaction, decision: DecisionRecord): Promise<boolean> {
  const { count } = await tx.ledgerDecision.createMany({ data: [decision], skipDuplicates: true });
  return count === 1;
}

/**
 * Appends the posting's DEBIT and CREDIT and moves both balances from the locked snapshots to the
 * balances the posting rules computed. Each UPDATE is a compare-and-set on the snapshot's balance: under
 * the row lock it always matches, so a mismatch means the lock was not held and nothing may be written.
 */
export async function applyPosting(
  tx: LedgerTransaction,
  posting: Posting,
  accounts: { from: AccountSnapshot; to: AccountSnapshot },
): Promise<void> {
  const { count } = await tx.journalEntry.createMany({ data: posting.entries });
  assertInvariant(count === 2, `transfer ${posting.entries[0].transferId}: wrote ${count} journal entries`);
  await moveBalance(tx, accounts.from, posting.balancesAfter.from);
  await moveBalance(tx, accounts.to, posting.balancesAfter.to);
}

async function moveBalance(
  tx: LedgerTransaction,
  account: AccountSnapshot,
  balanceMinor: bigint,
): Promise<void> {
  const { count } = await tx.account.updateMany({
    where: { id: account.id, balanceMinor: account.balanceMinor },
    data: { balanceMinor },
  });
  assertInvariant(count === 1, `account ${account.id}: balance changed under the posting's row lock`);
}
