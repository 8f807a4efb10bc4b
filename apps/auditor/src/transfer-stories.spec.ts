// Proves that the merge joins the five tables by transfer id whatever their page boundaries: each
// transfer gets exactly its own rows, ids only another table knows come out as stories without a
// transfer (before the first transfer, between two, after the last), pages hold at most the page size,
// a source out of order is refused, and a reader that stops early releases every source.
import type { DecisionRow, HoldRow, JournalEntryRow, NotificationRow, TransferRow } from './snapshots';
import { storyPages, type StorySources, type TransferStory } from './transfer-stories';

const AT = new Date('2026-11-30T12:00:00.000Z');

function transferRow(id: string): TransferRow {
  return {
    id,
    status: 'COMPLETED',
    fromAccountId: 'from',
    toAccountId: 'to',
    amountMinor: '1',
    currency: 'EUR',
    failureReason: null,
    createdAt: AT,
    updatedAt: AT,
    holdExpiresAt: null,
    captureAmountMinor: null,
    refundOf: null,
  };
}
const entry = (transferId: string, direction: 'DEBIT' | 'CREDIT'): JournalEntryRow => ({
  id: `${transferId}-${direction}`,
  transferId,
  accountId: direction === 'DEBIT' ? 'from' : 'to',
  direction,
  amountMinor: '1',
  currency: 'EUR',
});
const decision = (transferId: string): DecisionRow => ({
  transferId,
  outcome: 'POSTED',
  reason: null,
  decidedAt: AT,
  refundOf: null,
});
const hold = (transferId: string): HoldRow => ({
  transferId,
  accountId: 'from',
  toAccountId: 'to',
  amountMinor: '1',
  currency: 'EUR',
  status: 'ACTIVE',
  expiresAt: AT,
  capturedMinor: null,
  release: null,
  placedAt: AT,
  settledAt: null,
});
const notification = (transferId: string): NotificationRow => ({
  id: `n-${transferId}`,
  transferId,
  outcome: 'COMPLETED',
  failureReason: null,
});

/** The rows `size` at a time, as a cursor fetches them; records whether the reader let go early. */
function fetchedBy<Row>(size: number, rows: Row[], released: string[] = [], name = ''): AsyncIterable<Row[]> {
  return {
    async *[Symbol.asyncIterator]() {
      let finished = false;
      try {
        for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
        finished = true;
      } finally {
        if (!finished) released.push(name);
      }
    },
  };
}

async function collect(pages: AsyncIterable<TransferStory[]>): Promise<TransferStory[][]> {
  const all: TransferStory[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe('storyPages', () => {
  const ids = ['b1', 'b3', 'b5', 'b7'];
  const sources = (fetchSize: number): StorySources => ({
    transfers: fetchedBy(fetchSize, ids.map(transferRow)),
    // a0 before the first transfer, b4 between two, c9 after the last: orphans of each table.
    entries: fetchedBy(fetchSize, [
      entry('a0', 'DEBIT'),
      ...ids.flatMap((id) => [entry(id, 'DEBIT'), entry(id, 'CREDIT')]),
    ]),
    decisions: fetchedBy(fetchSize, [...ids, 'b4'].sort().map(decision)),
    // b3's hold, and one after every transfer and before c9's notification.
    holds: fetchedBy(fetchSize, ['b3', 'b8'].map(hold)),
    notifications: fetchedBy(fetchSize, [...ids, 'c9'].map(notification)),
  });

  it.each([1, 2, 3, 100])('gives each id its own rows, whatever the fetch size (%i)', async (fetchSize) => {
    const pages = await collect(storyPages(sources(fetchSize), 2));
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 2]);
    const stories = pages.flat();
    expect(stories.map((story) => story.transferId)).toEqual([
      'a0',
      'b1',
      'b3',
      'b4',
      'b5',
      'b7',
      'b8',
      'c9',
    ]);
    expect(stories.map((story) => story.transfer?.id)).toEqual([
      undefined,
      'b1',
      'b3',
      undefined,
      'b5',
      'b7',
      undefined,
      undefined,
    ]);
    const own = stories.map((story) => [
      story.entries.length,
      story.decisions.length,
      story.holds.length,
      story.notifications.length,
    ]);
    expect(own).toEqual([
      [1, 0, 0, 0],
      [2, 1, 0, 1],
      [2, 1, 1, 1],
      [0, 1, 0, 0],
      [2, 1, 0, 1],
      [2, 1, 0, 1],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    for (const story of stories)
      for (const row of [...story.entries, ...story.decisions, ...story.holds, ...story.notifications])
        expect(row.transferId).toBe(story.transferId);
  });

  it('refuses a source out of transfer id order: the merge would pair rows wrongly', async () => {
    const unsorted: StorySources = {
      ...sources(2),
      decisions: fetchedBy(2, ['b3', 'b1'].map(decision)),
    };
    await expect(collect(storyPages(unsorted, 10))).rejects.toThrow(
      'the ledger decisions are not sorted by transfer id: b1 came after b3',
    );
  });

  it('releases every source when the reader stops after the first page', async () => {
    const released: string[] = [];
    const tracked: StorySources = {
      transfers: fetchedBy(1, ids.map(transferRow), released, 'transfers'),
      entries: fetchedBy(
        1,
        ids.map((id) => entry(id, 'DEBIT')),
        released,
        'entries',
      ),
      decisions: fetchedBy(1, ids.map(decision), released, 'decisions'),
      holds: fetchedBy(1, ids.map(hold), released, 'holds'),
      notifications: fetchedBy(1, ids.map(notification), released, 'notifications'),
    };
    for await (const page of storyPages(tracked, 1)) {
      expect(page).toHaveLength(1);
      break;
    }
    expect(released.sort()).toEqual(['decisions', 'entries', 'holds', 'notifications', 'transfers']);
  });
});
