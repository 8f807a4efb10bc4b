// Group commit: the writes of many concurrent callers leave together, as ONE batch written in one
// statement and one commit, and each caller gets its own result once that commit is done. Without a
// timer: while no batch is in flight, a submitted item leaves at once, so an idle system waits for
// nothing; items submitted while batches are in flight wait for a free slot and leave together. A
// busy system thus gets fuller batches (fewer round trips and commits per item) exactly when it
// needs them; what it costs a caller is the wait for the batch in flight ahead of it.
//
// Items with the same conflict key never share a batch, nor ride in two batches in flight at once:
// the later one waits for the earlier one's batch to finish, as a retry after it would. Two batches
// in flight therefore never wait on each other's rows.
//
// A failed batch wrote nothing (one statement, one commit). When the failure is one its items may
// cause (a value the database refuses), the items are written again one by one so only the bad one
// fails; when it is not (the database away), every item gets the error at once.

export interface GroupCommitOptions<I, O> {
  /**
   * Writes `items` in ONE commit and resolves one result per item, in their order; or throws having
   * written none of them.
   */
  writeBatch(items: readonly I[]): Promise<readonly O[]>;
  /** Items that must not share a batch (or ride in two batches in flight) have the same key. */
  conflictKeyOf(item: I): string;
  /** Whether a batch that failed with `error` may have failed for one item: then they go one by one. */
  mayBeOneItemsFault(error: unknown): boolean;
  maxBatchSize: number;
  maxBatchesInFlight: number;
  /** Items that may wait for a batch; one more is refused with a retriable error (the caller is told to retry). */
  maxWaiting: number;
}

/** Counters since the start, for metrics and tests. */
export interface GroupCommitStats {
  /** Batches written, the one-by-one retries of a failed batch not included. */
  batches: number;
  /** Items in those batches. */
  items: number;
  largestBatch: number;
  /** Batches that failed and were written again one item at a time. */
  batchesRetriedOneByOne: number;
  /** Items waiting for a batch now. */
  waiting: number;
  /** Items in the batches in flight now. */
  itemsInFlight: number;
}

/** Refused because too many items wait already: try again shortly. Retriable (isRetriableError). */
export class GroupCommitFullError extends Error {
  readonly retriable = true;
  constructor(maxWaiting: number) {
    super(`group commit: ${maxWaiting} items wait already`);
    this.name = 'GroupCommitFullError';
  }
}

interface Pending<I, O> {
  item: I;
  conflictKey: string;
  resolve(result: O): void;
  reject(error: unknown): void;
}

export class GroupCommit<I, O> {
  private waiting: Pending<I, O>[] = [];
  private batchesInFlight = 0;
  private readonly keysInFlight = new Set<string>();
  private readonly counts = { batches: 0, items: 0, largestBatch: 0, batchesRetriedOneByOne: 0 };

  constructor(private readonly options: GroupCommitOptions<I, O>) {
    for (const bound of ['maxBatchSize', 'maxBatchesInFlight', 'maxWaiting'] as const) {
      if (!Number.isSafeInteger(options[bound]) || options[bound] < 1)
        throw new RangeError(`${bound} must be a positive integer, got ${options[bound]}`);
    }
  }

  /** Resolves `item`'s result once the batch that wrote it committed; rejects if it was not written. */
  submit(item: I): Promise<O> {
    if (this.waiting.length >= this.options.maxWaiting)
      return Promise.reject(new GroupCommitFullError(this.options.maxWaiting));
    const conflictKey = this.options.conflictKeyOf(item);
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, conflictKey, resolve, reject });
      this.launch();
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counts, waiting: this.waiting.length, itemsInFlight: this.keysInFlight.size };
  }

  /** Starts batches while a slot is free and some waiting item may leave. */
  private launch(): void {
    while (this.batchesInFlight < this.options.maxBatchesInFlight && this.waiting.length > 0) {
      const batch = this.takeBatch();
      // Every waiting item conflicts with one in flight: the end of that batch launches again.
      if (batch.length === 0) return;
      this.batchesInFlight++;
      void this.write(batch).finally(() => {
        this.batchesInFlight--;
        for (const pending of batch) this.keysInFlight.delete(pending.conflictKey);
        this.launch();
      });
    }
  }

  /** The oldest waiting items, up to the batch size, skipping (and keeping, in order) those in conflict. */
  private takeBatch(): Pending<I, O>[] {
    const batch: Pending<I, O>[] = [];
    const left: Pending<I, O>[] = [];
    for (const pending of this.waiting) {
      if (batch.length < this.options.maxBatchSize && !this.keysInFlight.has(pending.conflictKey)) {
        this.keysInFlight.add(pending.conflictKey);
        batch.push(pending);
      } else {
        left.push(pending);
      }
    }
    this.waiting = left;
    return batch;
  }

  /** Never rejects: every item of the batch is settled. */
  private async write(batch: readonly Pending<I, O>[]): Promise<void> {
    this.counts.batches++;
    this.counts.items += batch.length;
    this.counts.largestBatch = Math.max(this.counts.largestBatch, batch.length);
    let results: readonly O[];
    try {
      results = await this.options.writeBatch(batch.map((pending) => pending.item));
    } catch (error) {
      if (batch.length > 1 && this.options.mayBeOneItemsFault(error)) await this.writeOneByOne(batch);
      else for (const pending of batch) pending.reject(error);
      return;
    }
    if (results.length !== batch.length) {
      // Committed, but the results cannot be told apart: a bug in writeBatch, never retried.
      const bug = new Error(`group commit: ${results.length} results for a batch of ${batch.length}`);
      for (const pending of batch) pending.reject(bug);
      return;
    }
    batch.forEach((pending, i) => pending.resolve(results[i]!));
  }

  private async writeOneByOne(batch: readonly Pending<I, O>[]): Promise<void> {
    this.counts.batchesRetriedOneByOne++;
    for (const pending of batch) {
      try {
        const results = await this.options.writeBatch([pending.item]);
        if (results.length !== 1) throw new Error(`group commit: ${results.length} results for one item`);
        pending.resolve(results[0]!);
      } catch (error) {
        pending.reject(error);
        if (!this.options.mayBeOneItemsFault(error)) {
          // The database went away (or the writer is broken) meanwhile: the rest would only fail the
          // same way, one timeout after another, while this batch holds its slot.
          for (const rest of batch.slice(batch.indexOf(pending) + 1)) rest.reject(error);
          return;
        }
      }
    }
  }
}
