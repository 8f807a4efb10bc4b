// Reads and writes of the accounts side of the ledger database for the REST use cases. Postings change
// balances elsewhere (postings/posting.repository.ts), under row locks, in the consumer's transaction.
import { Inject, Injectable } from '@nestjs/common';
import { PRISMA } from '@oncepay/service-runtime';
import type { LedgerDatabase } from '../database';
import type { Account, JournalEntry } from '../generated/prisma/client';

export interface NewAccount {
  id: string;
  ownerClientId: string;
  currency: string;
  allowNegativeBalance: boolean;
}

@Injectable()
export class AccountRepository {
  constructor(@Inject(PRISMA) private readonly db: LedgerDatabase) {}

  /**
   * Inserts the account unless its id is taken; null when it was. One statement (INSERT ... ON
   * CONFLICT DO NOTHING), so two concurrent opens of one id cannot both succeed, and neither fails.
   */
  async insertIfAbsent(account: NewAccount): Promise<Account | null> {
    const inserted = await this.db.account.createManyAndReturn({ data: [account], skipDuplicates: true });
    return inserted[0] ?? null;
  }

  findById(id: string): Promise<Account | null> {
    return this.db.account.findUnique({ where: { id } });
  }

  /** The account when `ownerClientId` opened it; null when it does not exist or belongs to another client. */
  findOwned(id: string, ownerClientId: string): Promise<Account | null> {
    return this.db.account.findFirst({ where: { id, ownerClientId } });
  }

  /** Up to `limit` entries of the account, newest first, strictly older than `beforeId` when given. */
  listEntries(accountId: string, page: { beforeId: bigint | null; limit: number }): Promise<JournalEntry[]> {
    return this.db.journalEntry.findMany({
      where: { accountId, ...(page.beforeId === null ? {} : { id: { lt: page.beforeId } }) },
      // Served by the (account_id, id) index: a range scan, however long the account's history.
      orderBy: { id: 'desc' },
      take: page.limit,
    });
  }
}
