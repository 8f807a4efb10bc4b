// Publishes outbox rows to Kafka in `position` order, then marks them SENT.
//
// Guarantees and why:
// - At-least-once: rows are marked SENT only after Kafka acknowledged them, in the same transaction
//   that locked them. A crash between the two publishes them again later; consumers deduplicate on
//   the event id, so that is harmless.
// - One active relay per database: a transaction-scoped advisory lock elects it, and the selected
//   rows are locked FOR UPDATE, so two relay instances never publish the same rows concurrently, and
//   rows leave in commit order (a second relay skipping ahead could reorder one transfer's events).
// - Bounded: each pass takes at most `batchSize` rows; a failed publish backs the head of the queue
//   off exponentially (attempts, last error and next attempt time recorded on the rows).
// - No busy polling: the relay sleeps until a committed enqueue signals it (OutboxSignal: directly
//   in this process, by NOTIFY from others), the head row's next attempt time, or a safety-net poll,
//   whichever comes first. A lost LISTEN connection (the database restarted) is opened again from
//   the loop, so wake-ups come back with the database.
import type { SqlExecutor } from '@oncepay/sql';
import { Client } from 'pg';
import { backoffDelayMs, type BackoffPolicy } from './backoff';
import { describeError } from '@oncepay/sql';
import { jsonLineLogger, type MessagingLogger } from './logger';
import { OUTBOX_CHANNEL } from './outbox';
import type { OutboxSignal } from './outbox-signal';
import { startPublishSpans } from './tracing';
import type { ProducerRecord } from './producer';

export interface OutboxPublisher {
  send(records: ProducerRecord[]): Promise<void>;
}

export interface OutboxRelayOptions<Tx extends SqlExecutor> {
  /** Runs `fn` in one database transaction (READ COMMITTED is enough: rows are locked explicitly). */
  transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  publisher: OutboxPublisher;
  /** A direct connection string for LISTEN; without it the relay falls back to polling. */
  listenConnectionString?: string;
  batchSize?: number;
  /**
   * After a wake-up, how long the relay waits before its pass so the rows committed right behind the
   * first one join it: fewer, fuller passes (each costs a transaction and a Kafka request whatever its
   * size) for at most this much latency. 0 publishes at once.
   */
  lingerMs?: number;
  safetyPollMs?: number;
  backoff?: BackoffPolicy;
  logger?: MessagingLogger;
  /** Wakes the relay when this process commits outbox rows. */
  signal?: OutboxSignal;
  /** Fault-injection seam for tests: runs after Kafka acknowledged a batch, before it is marked SENT. */
  afterPublish?: (records: ProducerRecord[]) => Promise<void>;
}

interface OutboxRow {
  /** A bigint, read as text: node-postgres and Prisma decode int8 differently. */
  position: string;
  id: string;
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  attempts: number;
  next_attempt_at: Date;
}

export type RelayPassResult =
  | { outcome: 'published'; count: number }
  | { outcome: 'idle' }
  | { outcome: 'backing_off'; untilMs: number }
  | { outcome: 'publish_failed'; error: string }
  | { outcome: 'not_leader' };

/** An arbitrary constant shared by every relay of one database: the advisory lock that elects the leader. */
const RELAY_LOCK_KEY = 7_314_003_001;
const MAX_BATCH_SIZE = 1_000;

export class OutboxRelay<Tx extends SqlExecutor> {
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly safetyPollMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly logger: MessagingLogger;
  private running = false;
  private loop: Promise<void> | null = null;
  private listener: Client | null = null;
  private wake: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Set by a signal or NOTIFY that arrived while a pass was running, so the next sleep is skipped. */
  private notified = false;
  /** Failed passes in a row: the wait before the next one grows with it, so a dead database is not hammered. */
  private consecutiveFailures = 0;
  /** When the loop may try to LISTEN again after the connection was lost or could not be opened. */
  private listenRetryAt = 0;

  constructor(private readonly options: OutboxRelayOptions<Tx>) {
    this.batchSize = Math.min(options.batchSize ?? 200, MAX_BATCH_SIZE);
    this.lingerMs = options.lingerMs ?? 0;
    this.safetyPollMs = options.safetyPollMs ?? 1_000;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 30_000 };
    this.logger = options.logger ?? jsonLineLogger;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.signal?.subscribe(() => this.wakeUp()) ?? null;
    await this.listen();
    this.loop = this.runLoop();
  }

  /** Rows were committed: run a pass now, or right after the one in progress. */
  wakeUp(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Stops after the pass in progress; resolves when the relay is idle and disconnected. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
  }

  /** One bounded pass: publish the next batch if this relay holds the lead. Exposed for tests and tools. */
  async relayPass(now: () => Date = () => new Date()): Promise<RelayPassResult> {
    return this.options.transaction(async (tx) => {
      const [lock] = await tx.query<{ leader: boolean }[]>(
        `SELECT pg_try_advisory_xact_lock($1::bigint) AS leader`,
        RELAY_LOCK_KEY,
      );
      if (!lock?.leader) return { outcome: 'not_leader' } as const;
      const rows = await tx.query<OutboxRow[]>(
        // Ordered by the table's bigint column, not the text alias the rows carry.
        `SELECT position::text AS position, id::text AS id, topic, key, value, headers, attempts, next_attempt_at
           FROM outbox_messages AS o WHERE status = 'PENDING' ORDER BY o.position LIMIT $1 FOR UPDATE`,
        this.batchSize,
      );
      const head = rows[0];
      if (!head) return { outcome: 'idle' } as const;
      const waitMs = head.next_attempt_at.getTime() - now().getTime();
      if (waitMs > 0) return { outcome: 'backing_off', untilMs: waitMs } as const;
      return this.publishBatch(tx, rows);
    });
  }

  private async publishBatch(tx: Tx, rows: OutboxRow[]): Promise<RelayPassResult> {
    const spans = startPublishSpans(rows);
    const records = rows.map(({ topic, key, value }, i) => ({
      topic,
      key,
      value,
      headers: spans.headers[i] ?? {},
    }));
    const positions = rows.map((row) => row.position);
    try {
      await this.options.publisher.send(records);
      spans.end();
    } catch (error) {
      spans.end(error);
      const attempts = (rows[0]?.attempts ?? 0) + 1;
      const delayMs = backoffDelayMs(this.backoff, attempts);
      await tx.execute(
        `UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2,
                next_attempt_at = now() + ($3::int * interval '1 millisecond')
          WHERE position = ANY($1::bigint[])`,
        positions,
        describeError(error),
        delayMs,
      );
      this.logger.warn('outbox publish failed; backing off', {
        count: rows.length,
        attempts,
        delayMs,
        error: describeError(error),
      });
      return { outcome: 'publish_failed', error: describeError(error) };
    }
    await this.options.afterPublish?.(records);
    await tx.execute(
      `UPDATE outbox_messages SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_error = NULL
        WHERE position = ANY($1::bigint[])`,
      positions,
    );
    return { outcome: 'published', count: rows.length };
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      if (!this.listener && Date.now() >= this.listenRetryAt) await this.listen();
      let result: RelayPassResult;
      this.notified = false;
      try {
        result = await this.relayPass();
      } catch (error) {
        // The database itself failed (or a test crashed the pass): nothing was marked, retry later.
        this.logger.error('outbox relay pass failed', { error: describeError(error) });
        result = { outcome: 'publish_failed', error: describeError(error) };
      }
      this.consecutiveFailures = result.outcome === 'publish_failed' ? this.consecutiveFailures + 1 : 0;
      // A full batch: more are waiting, go on at once.
      if (result.outcome === 'published' && result.count === this.batchSize) continue;
      await this.sleep(this.nextWaitMs(result));
      await this.linger();
    }
  }

  private nextWaitMs(result: RelayPassResult): number {
    switch (result.outcome) {
      case 'published':
        return 0;
      case 'backing_off':
        return Math.min(result.untilMs, this.safetyPollMs);
      case 'publish_failed':
        return backoffDelayMs(this.backoff, this.consecutiveFailures);
      case 'idle':
      case 'not_leader':
        return this.safetyPollMs;
      default: {
        const unreachable: never = result;
        return unreachable;
      }
    }
  }

  /** Lets the rows committing right behind a wake-up join the next pass (not cut short by wake-ups). */
  private linger(): Promise<void> {
    if (this.lingerMs <= 0 || !this.running) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, this.lingerMs));
  }

  /** Resolves after `ms`, or earlier on a NOTIFY or stop(). */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || !this.running || this.notified) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async listen(): Promise<void> {
    if (!this.options.listenConnectionString || !this.running) return;
    const listener = new Client({ connectionString: this.options.listenConnectionString });
    // A lost LISTEN connection only costs latency until it is back: the safety-net poll still runs.
    listener.on('error', (error) => {
      this.logger.warn('outbox listen connection lost', { error: describeError(error) });
      this.dropListener(listener);
    });
    listener.on('end', () => this.dropListener(listener));
    listener.on('notification', () => this.wakeUp());
    try {
      await listener.connect();
      await listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = listener;
      // Rows may have been committed while nobody listened: look at once.
      this.notified = true;
    } catch (error) {
      // The database may be down (at boot, or restarting); the loop tries again after a safety poll.
      this.logger.warn('outbox relay could not LISTEN; polling until it can', {
        error: describeError(error),
      });
      this.listenRetryAt = Date.now() + this.safetyPollMs;
      await listener.end().catch(() => undefined);
    }
  }

  private dropListener(listener: Client): void {
    if (this.listener !== listener) return;
    this.listener = null;
    this.listenRetryAt = Date.now();
    void listener.end().catch(() => undefined);
    // Wake the loop so it listens again (and looks for rows) without waiting for the safety poll; as a
    // wake-up, so a loop in the middle of a pass does not then sleep the whole poll before listening.
    this.wakeUp();
  }
}
