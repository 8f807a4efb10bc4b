// Lists one account's journal entries, newest first, a page at a time (keyset pagination on the entry
// id, so a page is a range scan and entries posted meanwhile never shift the pages a client walks).
import { Injectable } from '@nestjs/common';
import type { JournalEntry } from '../../generated/prisma/client';
import { AccountRepository } from '../account.repository';

export interface ListEntriesRequest {
  accountId: string;
  clientId: string;
  limit: number;
  /** Entries strictly older than this id; null for the first page. */
  beforeId: bigint | null;
}

/**
 * `listed`: up to `limit` entries; `hasMore` when older ones exist.
 * `not_found`: no such account, or it belongs to another client.
 */
export type ListEntriesResult =
  { outcome: 'listed'; entries: JournalEntry[]; hasMore: boolean } | { outcome: 'not_found' };

@Injectable()
export class ListEntriesHandler {
  constructor(private readonly accounts: AccountRepository) {}

  async execute(query: ListEntriesRequest): Promise<ListEntriesResult> {
    const account = await this.accounts.findOwned(query.accountId, query.clientId);
    if (!account) return { outcome: 'not_found' };
    // One row more than asked tells whether another page exists without a COUNT.
    const rows = await this.accounts.listEntries(account.id, {
      beforeId: query.beforeId,
      limit: query.limit + 1,
    });
    return { outcome: 'listed', entries: rows.slice(0, query.limit), hasMore: rows.length > query.limit };
  }
}
