// Proves GroupCommit's rules with a fake writer the test completes by hand (no timers): an item
// submitted while nothing is in flight leaves at once; items submitted meanwhile leave together in
// submit order, up to the batch size and the bound on batches in flight; items with one conflict key
// never share a batch or ride in two batches in flight; each caller gets its own result only once its
// batch is written; a batch failing for one item is written again one by one so only that item fails;
// any other failure reaches every item of the batch; and a full queue is refused as retriable.
import { isRetriableError } from './errors';
import { GroupCommit, GroupCommitFullError, type GroupCommitOptions } from './group-commit';

interface Item {
  id: number;
  key?: string;
  bad?: boolean;
}

/** A writer whose batches stay open until the test finishes them. */
class ManualWriter {
  readonly calls: { items: readonly Item[]; finish(): void; fail(error: unknown): void }[] = [];

  readonly write = (items: readonly Item[]): Promise<readonly string[]> =>
    new Promise((resolve, reject) => {
      this.calls.push({
        items,
        finish: () => {
          // A batch with a bad item fails as a whole, like one statement the database refuses.
          if (items.some((item) => item.bad === true)) reject(new ItemRefused());
          else resolve(items.map((item) => `written ${item.id}`));
        },
        fail: reject,
      });
    });

  batchIds(): number[][] {
    return this.calls.map((call) => call.items.map((item) => item.id));
  }

  /** Finishes the `index`th batch and lets the promise callbacks that follow run. */
  async finish(index: number): Promise<void> {
    this.calls[index]!.finish();
    await settle();
  }
}

class ItemRefused extends Error {
  readonly retriable = false;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function groupCommit(writer: ManualWriter, overrides: Partial<GroupCommitOptions<Item, string>> = {}) {
  return new GroupCommit<Item, string>({
    writeBatch: writer.write,
    conflictKeyOf: (item) => item.key ?? `item ${item.id}`,
    mayBeOneItemsFault: (error) => !isRetriableError(error),
    maxBatchSize: 3,
    maxBatchesInFlight: 1,
    maxWaiting: 100,
    ...overrides,
  });
}

/** The outcome of each promise so far, without waiting for the rest. */
function track<T>(promises: Promise<T>[]) {
  const outcomes: (undefined | { value: T } | { error: unknown })[] = promises.map(() => undefined);
  promises.forEach((promise, i) => {
    promise.then(
      (value) => (outcomes[i] = { value }),
      (error: unknown) => (outcomes[i] = { error }),
    );
  });
  return outcomes;
}

describe('GroupCommit', () => {
  it('sends an item at once while nothing is in flight, and the ones that came meanwhile together, in order', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);

    const results = track([1, 2, 3, 4].map((id) => commit.submit({ id })));
    expect(writer.batchIds()).toEqual([[1]]);
    expect(commit.stats()).toMatchObject({ waiting: 3, itemsInFlight: 1 });

    await writer.finish(0);
    expect(results[0]).toEqual({ value: 'written 1' });
    expect(results[1]).toBeUndefined();
    expect(writer.batchIds()).toEqual([[1], [2, 3, 4]]);

    await writer.finish(1);
    expect(results).toEqual(['written 1', 'written 2', 'written 3', 'written 4'].map((value) => ({ value })));
    expect(commit.stats()).toEqual({
      batches: 2,
      items: 4,
      largestBatch: 3,
      batchesRetriedOneByOne: 0,
      waiting: 0,
      itemsInFlight: 0,
    });
  });

  it('resolves no caller before its batch is written', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);
    const results = track([commit.submit({ id: 1 })]);
    await settle();
    expect(results[0]).toBeUndefined();
    await writer.finish(0);
    expect(results[0]).toEqual({ value: 'written 1' });
  });

  it('caps a batch at maxBatchSize; the rest leave in the next one', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);
    track([1, 2, 3, 4, 5, 6, 7, 8].map((id) => commit.submit({ id })));
    await writer.finish(0);
    await writer.finish(1);
    await writer.finish(2);
    expect(writer.batchIds()).toEqual([[1], [2, 3, 4], [5, 6, 7], [8]]);
  });

  it('has at most maxBatchesInFlight batches in flight', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer, { maxBatchesInFlight: 2 });
    track([1, 2, 3, 4, 5].map((id) => commit.submit({ id })));
    expect(writer.batchIds()).toEqual([[1], [2]]);
    await writer.finish(1);
    expect(writer.batchIds()).toEqual([[1], [2], [3, 4, 5]]);
  });

  it('never puts two items with one conflict key in one batch, nor in two batches in flight', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer, { maxBatchesInFlight: 2, maxBatchSize: 10 });
    track([
      commit.submit({ id: 1, key: 'k' }),
      commit.submit({ id: 2, key: 'k' }),
      commit.submit({ id: 3 }),
      commit.submit({ id: 4, key: 'k' }),
      commit.submit({ id: 5 }),
    ]);
    // 2 waits for 1 (in flight); 3 takes the free slot at once, so 4 and 5 wait behind it.
    expect(writer.batchIds()).toEqual([[1], [3]]);
    await writer.finish(1);
    // 2 and 4 still conflict with 1, in flight.
    expect(writer.batchIds()).toEqual([[1], [3], [5]]);
    await writer.finish(0);
    expect(writer.batchIds()).toEqual([[1], [3], [5], [2]]);
    await writer.finish(3);
    expect(writer.batchIds()).toEqual([[1], [3], [5], [2], [4]]);
  });

  it('writes a batch that failed for one item again one by one, so only that item fails', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);
    const results = track([
      commit.submit({ id: 1 }),
      commit.submit({ id: 2 }),
      commit.submit({ id: 3, bad: true }),
      commit.submit({ id: 4 }),
    ]);
    await writer.finish(0);
    await writer.finish(1); // [2, 3, 4] fails as a whole
    await writer.finish(2); // [2]
    await writer.finish(3); // [3] fails alone
    await writer.finish(4); // [4]

    expect(writer.batchIds()).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
    expect(results[1]).toEqual({ value: 'written 2' });
    expect(results[2]).toEqual({ error: expect.any(ItemRefused) });
    expect(results[3]).toEqual({ value: 'written 4' });
    expect(commit.stats()).toMatchObject({ batches: 2, items: 4, batchesRetriedOneByOne: 1 });
  });

  it('stops the one-by-one retry when the database goes away: the rest fail at once, unwritten', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);
    const results = track([1, 2, 3, 4].map((id) => commit.submit({ id, bad: id === 2 })));
    await writer.finish(0);
    await writer.finish(1); // [2, 3, 4] fails for 2's value
    const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    writer.calls[2]!.fail(unavailable); // [2] alone: the database is gone now
    await settle();

    expect(writer.batchIds()).toEqual([[1], [2, 3, 4], [2]]);
    expect(results.slice(1)).toEqual([
      { error: unavailable },
      { error: unavailable },
      { error: unavailable },
    ]);
    expect(commit.stats()).toMatchObject({ waiting: 0, itemsInFlight: 0 });
  });

  it('holds the slot during the one-by-one retry: the next batch waits for it', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);
    track([1, 2, 3].map((id) => commit.submit({ id, bad: id === 3 })));
    await writer.finish(0);
    track([commit.submit({ id: 4 })]);
    await writer.finish(1); // [2, 3] fails; [2] starts
    expect(writer.batchIds()).toEqual([[1], [2, 3], [2]]);
  });

  it('gives every item of the batch a failure that is not one item’s fault, at once', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer);
    const results = track([1, 2, 3].map((id) => commit.submit({ id })));
    await writer.finish(0);
    const unavailable = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    writer.calls[1]!.fail(unavailable);
    await settle();

    expect(writer.batchIds()).toEqual([[1], [2, 3]]);
    expect(results.slice(1)).toEqual([{ error: unavailable }, { error: unavailable }]);
    expect(commit.stats()).toMatchObject({ batchesRetriedOneByOne: 0, waiting: 0, itemsInFlight: 0 });
  });

  it('rejects every item when the writer returns the wrong number of results, without retrying', async () => {
    const commit = new GroupCommit<Item, string>({
      writeBatch: () => Promise.resolve(['one result']),
      conflictKeyOf: (item) => String(item.id),
      mayBeOneItemsFault: () => true,
      maxBatchSize: 3,
      maxBatchesInFlight: 1,
      maxWaiting: 10,
    });
    const first = commit.submit({ id: 1 });
    const others = [commit.submit({ id: 2 }), commit.submit({ id: 3 })];
    await expect(first).resolves.toBe('one result');
    for (const other of others) await expect(other).rejects.toThrow('1 results for a batch of 2');
    expect(commit.stats().batchesRetriedOneByOne).toBe(0);
  });

  it('refuses an item over maxWaiting with a retriable error', async () => {
    const writer = new ManualWriter();
    const commit = groupCommit(writer, { maxWaiting: 2 });
    track([1, 2, 3].map((id) => commit.submit({ id }))); // 1 in flight, 2 and 3 wait
    const refused = commit.submit({ id: 4 });
    await expect(refused).rejects.toBeInstanceOf(GroupCommitFullError);
    expect(isRetriableError(await refused.catch((error: unknown) => error))).toBe(true);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => groupCommit(new ManualWriter(), { maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => groupCommit(new ManualWriter(), { maxBatchesInFlight: 1.5 })).toThrow(RangeError);
  });
});
