// The account and journal-entry resources of the public API (v1): money as a string of minor units
// (a JSON number would lose precision past 2^53), times as ISO-8601.
import type { Account, JournalEntry } from '../generated/prisma/client';

export interface AccountResource {
  id: string;
  currency: string;
  /** The posted balance: the sum of the account's journal entries. */
  balance: string;
  /** What the account can spend: the posted balance less what its active holds reserve. */
  availableBalance: string;
  /** The sum of the account's active holds (never negative). */
  heldAmount: string;
  allowNegativeBalance: boolean;
  createdAt: string;
}

export interface EntryResource {
  id: string;
  transferId: string;
  direction: 'DEBIT' | 'CREDIT';
  amount: string;
  currency: string;
  postedAt: string;
}

export function toAccountResource(row: Account): AccountResource {
  return {
    id: row.id,
    currency: row.currency,
    balance: row.balanceMinor.toString(),
    availableBalance: (row.balanceMinor - row.heldMinor).toString(),
    heldAmount: row.heldMinor.toString(),
    allowNegativeBalance: row.allowNegativeBalance,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toEntryResource(row: JournalEntry): EntryResource {
  return {
    id: row.id.toString(),
    transferId: row.transferId,
    direction: row.direction,
    amount: row.amountMinor.toString(),
    currency: row.currency,
    postedAt: row.postedAt.toISOString(),
  };
}

export function accountLocation(id: string): string {
  return `/v1/accounts/${id}`;
}
