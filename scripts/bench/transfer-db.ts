// What the benchmark reads back from the transfer-service's database, after the load: the servers'
// own timestamps. `created_at` is when POST /v1/transfers accepted the transfer and `updated_at` when
// the transfer-service applied the ledger's answer (transfer.repository.ts: insertTransferOnce, then
// saveTransferState with the time the result was applied), so updated_at - created_at of a COMPLETED
// transfer is accept-to-COMPLETED, measured on one clock, and reading it adds no load during the run.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { TERMINAL_STATUSES } from '@oncepay/transfer-state-machine';

/**
 * The status a benchmarked transfer ends in when it succeeds: COMPLETED for a payment, CAPTURED for a
 * hold that was captured (the flows benchmark). Every query below takes it, COMPLETED by default.
 */
export type FinalStatus = 'COMPLETED' | 'CAPTURED';

/** Ids per query: a uuid[] parameter of this size stays well under PostgreSQL's limits and is quick. */
const CHUNK = 10_000;

export interface Settlement {
  /** In the final status asked for (COMPLETED unless said). */
  completed: number;
  failed: number;
  /** Not yet final when the wait ended (PENDING, or a hold still HELD or CAPTURING), or not found at all. */
  unsettled: number;
}

export class TransferDb {
  private constructor(private readonly client: Client) {}

  static async connect(url: string): Promise<TransferDb> {
    const client = new Client({ connectionString: url });
    await client.connect();
    return new TransferDb(client);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  async settlement(ids: readonly string[], finalStatus: FinalStatus = 'COMPLETED'): Promise<Settlement> {
    let completed = 0;
    let failed = 0;
    for (const chunk of chunks(ids)) {
      const { rows } = await this.client.query<{ status: string; n: number }>(
        `SELECT status::text AS status, count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) GROUP BY status`,
        [chunk],
      );
      for (const row of rows) {
        if (row.status === finalStatus) completed += row.n;
        if (row.status === 'FAILED') failed += row.n;
      }
    }
    return { completed, failed, unsettled: ids.length - completed - failed };
  }

  /** Polls (bounded) until each of `ids` is final or FAILED; returns how they ended, unsettled ones counted. */
  async waitSettled(
    ids: readonly string[],
    timeoutMs: number,
    finalStatus: FinalStatus = 'COMPLETED',
  ): Promise<Settlement> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.settlement(ids, finalStatus);
    while (last.unsettled > 0 && Date.now() < deadline) {
      await sleep(500);
      last = await this.settlement(ids, finalStatus);
    }
    return last;
  }

  /** updated_at - created_at, in ms, of each of `ids` that is in `finalStatus`. */
  async completionLatenciesMs(
    ids: readonly string[],
    finalStatus: FinalStatus = 'COMPLETED',
  ): Promise<number[]> {
    const latencies: number[] = [];
    for (const chunk of chunks(ids)) {
      const { rows } = await this.client.query<{ ms: number }>(
        `SELECT (extract(epoch FROM updated_at - created_at) * 1000)::float8 AS ms
           FROM transfers WHERE id = ANY($1::uuid[]) AND status = $2`,
        [chunk, finalStatus],
      );
      for (const row of rows) latencies.push(row.ms);
    }
    return latencies;
  }

  /**
   * How many of `ids` became COMPLETED in each second of [from, from + seconds): the completions the
   * window saw, whenever the transfer was accepted (a transfer accepted in the warm-up and completed in
   * the window counts; one accepted in the window and completed after it does not).
   */
  async completionsPerSecond(
    ids: readonly string[],
    from: Date,
    seconds: number,
    finalStatus: FinalStatus = 'COMPLETED',
  ): Promise<number[]> {
    const buckets = new Array<number>(Math.ceil(seconds)).fill(0);
    const to = new Date(from.getTime() + seconds * 1000);
    for (const chunk of chunks(ids)) {
      const { rows } = await this.client.query<{ second: number; n: number }>(
        `SELECT floor(extract(epoch FROM updated_at - $2::timestamptz))::int AS second, count(*)::int AS n
           FROM transfers
          WHERE id = ANY($1::uuid[]) AND status = $4 AND updated_at >= $2 AND updated_at < $3
          GROUP BY 1`,
        [chunk, from, to, finalStatus],
      );
      for (const row of rows) buckets[row.second] = (buckets[row.second] ?? 0) + row.n;
    }
    return buckets;
  }

  /**
   * When each of `ids` that is in `finalStatus` got there (updated_at, ms since the epoch): the end of
   * its flow, on the machine's wall clock like the load generator's own timestamps.
   */
  async finalTimesMs(ids: readonly string[], finalStatus: FinalStatus): Promise<Map<string, number>> {
    const times = new Map<string, number>();
    for (const chunk of chunks(ids)) {
      const { rows } = await this.client.query<{ id: string; ms: number }>(
        `SELECT id::text AS id, (extract(epoch FROM updated_at) * 1000)::float8 AS ms
           FROM transfers WHERE id = ANY($1::uuid[]) AND status = $2`,
        [chunk, finalStatus],
      );
      for (const row of rows) times.set(row.id, row.ms);
    }
    return times;
  }

  /**
   * Transfers in a terminal status (any client): the notifications to expect, for the final audit. A
   * hold resting in HELD has none yet (its outcome event comes with its capture, void or expiry).
   */
  async terminalCount(): Promise<number> {
    const { rows } = await this.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transfers WHERE status::text = ANY($1::text[])`,
      [TERMINAL_STATUSES],
    );
    return rows[0]?.n ?? 0;
  }
}

export function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) result.push(items.slice(i, i + CHUNK));
  return result;
}
