// Joins the five tables that speak of transfers (transfers, journal entries, ledger decisions, holds,
// notifications) by transfer id, without holding any of them: each arrives as pages sorted by transfer
// id (snapshots.ts reads them so), and a merge walks them side by side like a merge join. What comes
// out is one TransferStory per transfer id any table mentions, in id order, grouped into pages:
// memory is a page of each input and a page of stories, whatever the tables hold.
//
// Pure: no I/O and no clock, so it is tested from plain arrays.
import type { DecisionRow, HoldRow, JournalEntryRow, NotificationRow, TransferRow } from './snapshots';

/** Everything the three databases hold about one transfer id. */
export interface TransferStory {
  transferId: string;
  /** Undefined when the transfer-service does not know the id (the other rows are then orphans). */
  transfer: TransferRow | undefined;
  entries: JournalEntryRow[];
  decisions: DecisionRow[];
  /** The ledger's hold of this id: at most one (the primary key), only for a hold request it placed. */
  holds: HoldRow[];
  notifications: NotificationRow[];
}

export interface StorySources {
  transfers: AsyncIterable<TransferRow[]>;
  entries: AsyncIterable<JournalEntryRow[]>;
  decisions: AsyncIterable<DecisionRow[]>;
  holds: AsyncIterable<HoldRow[]>;
  notifications: AsyncIterable<NotificationRow[]>;
}

/**
 * The stories of every transfer id in `sources`, `pageSize` at a time, in id order. Each source must be
 * sorted by transfer id in the order of JavaScript's string comparison, which for the lower-case
 * canonical text of a UUID is PostgreSQL's uuid order; a source out of order is a bug and throws.
 */
export async function* storyPages(sources: StorySources, pageSize: number): AsyncGenerator<TransferStory[]> {
  const transfers = new SortedRows('transfers', sources.transfers, (row) => row.id);
  const entries = new SortedRows('journal entries', sources.entries, (row) => row.transferId);
  const decisions = new SortedRows('ledger decisions', sources.decisions, (row) => row.transferId);
  const holds = new SortedRows('holds', sources.holds, (row) => row.transferId);
  const notifications = new SortedRows('notifications', sources.notifications, (row) => row.transferId);
  const all = [transfers, entries, decisions, holds, notifications];
  let page: TransferStory[] = [];
  try {
    for (;;) {
      // One source at a time: three of them are cursors on the ledger's one connection, and a pg
      // Client handed a query while one runs only queues it (deprecated, gone in pg 9). Little is lost:
      // a source reads a page only when it ran out, and the sources run out at different rows.
      const keys: (string | undefined)[] = [];
      for (const rows of all) keys.push(await rows.nextKey());
      const present = keys.filter((key): key is string => key !== undefined);
      if (present.length === 0) break;
      const transferId = present.reduce((least, key) => (key < least ? key : least));
      const own = await transfers.takeWhileKey(transferId);
      // The primary key makes two rows of one transfer id impossible: seeing them is a bug in the reading.
      if (own.length > 1) throw new Error(`two rows of transfer ${transferId} in the transfers read`);
      page.push({
        transferId,
        transfer: own[0],
        entries: await entries.takeWhileKey(transferId),
        decisions: await decisions.takeWhileKey(transferId),
        holds: await holds.takeWhileKey(transferId),
        notifications: await notifications.takeWhileKey(transferId),
      });
      if (page.length === pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  } finally {
    await closeAll(all);
  }
}

/**
 * Closes every source, one at a time (some share a connection), whichever fails to close; the first
 * failure is thrown after the rest are closed.
 */
async function closeAll(sources: ReadonlyArray<{ close(): Promise<void> }>): Promise<void> {
  const failures: unknown[] = [];
  for (const source of sources) await source.close().catch((error: unknown) => void failures.push(error));
  if (failures.length > 0) throw failures[0];
}

/** One sorted source, read a page at a time, with a look at its next row's key. */
class SortedRows<Row> {
  private readonly pages: AsyncIterator<Row[]>;
  private page: Row[] = [];
  private index = 0;
  private done = false;
  private lastKey: string | undefined;

  constructor(
    private readonly name: string,
    source: AsyncIterable<Row[]>,
    private readonly keyOf: (row: Row) => string,
  ) {
    this.pages = source[Symbol.asyncIterator]();
  }

  /** The key of the next row, undefined when the source is exhausted. */
  async nextKey(): Promise<string | undefined> {
    while (!this.done && this.index >= this.page.length) {
      const next = await this.pages.next();
      if (next.done) this.done = true;
      else {
        this.page = next.value;
        this.index = 0;
      }
    }
    const row = this.page[this.index];
    if (this.done || row === undefined) return undefined;
    const key = this.keyOf(row);
    if (this.lastKey !== undefined && key < this.lastKey)
      throw new Error(`the ${this.name} are not sorted by transfer id: ${key} came after ${this.lastKey}`);
    this.lastKey = key;
    return key;
  }

  /** Takes the rows whose key is `key` (they are next, as the source is sorted). */
  async takeWhileKey(key: string): Promise<Row[]> {
    const taken: Row[] = [];
    while ((await this.nextKey()) === key) {
      taken.push(this.page[this.index] as Row);
      this.index += 1;
    }
    return taken;
  }

  /** Lets the source release what it holds (a cursor) when the merge stops early. */
  async close(): Promise<void> {
    if (!this.done) await this.pages.return?.();
  }
}
