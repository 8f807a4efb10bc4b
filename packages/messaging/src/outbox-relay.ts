// Publishes outbox rows to Kafka in `position` order, then marks them SENT.
//
// Guarantees and why:
// - At-least-once: rows are marked SENT only after Kafka acknowledged them, in the same transaction
//   that locked them. A crash between the two publishes them again later; consumers deduplicate on
//   the event id, so that is harmless.
// - One active relay per database: a transaction-scoped advisory lock elects it, and the selected
//   rows are locked FOR UPDATE, so two relay instances never publish the same rows concurrently, and
//   rows leave in commit order (a second relay skipping ahead could reorder one transfer's events).
// - Per-key order, and no jam: the key (the transfer id) is the aggregate. A row is sent only when no
//   earlier row of its key is waiting out a failure or parked; rows of other keys go on.
// - Bounded: each pass takes at most `batchSize` rows. A failed send is judged (publish-failure.ts):
//   - the broker's fault (down, timing out, electing leaders): the whole relay backs off
//     exponentially and no row is charged, so an outage never parks anything;
//   - otherwise the batch is split and its rows sent one by one, in order: a row that fails is charged
//     an attempt (attempts, last error, next attempt time with backoff) and blocks its key for the rest
//     of the pass; past `maxAttempts` it is PARKED, and the rows of its key behind it wait (PENDING)
//     until an operator releases or discards it (`npm run outbox`, see outbox-parking.ts).
// - No busy polling: the relay sleeps until a committed enqueue signals it (OutboxSignal: directly
//   in this process, by NOTIFY from others), the earliest next attempt time of a failed row, or a
//   safety-net poll, whichever comes first. A lost LISTEN connection (the database restarted) is
//   opened again from the loop, so wake-ups come back with the database.
import type { SqlExecutor } from '@oncepay/sql';
import { Client } from 'pg';
import { backoffDelayMs, type BackoffPolicy } from './backoff';
import { describeError } from '@oncepay/sql';
import { jsonLineLogger, type MessagingLogger } from './logger';
import { OUTBOX_CHANNEL } from './outbox';
import { RELAY_LOCK_KEY } from './outbox-parking';
import { isInfrastructureFailure } from './publish-failure';
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
  /** The wait after a failure: of the whole relay (broker down), and of one row before its next attempt. */
  backoff?: BackoffPolicy;
  /** Failed sends a row may have (not counting the broker's failures) before it is parked. Default 8. */
  maxAttempts?: number;
  /** Tells the broker's failures from the records'; by default by kafkajs' error classes. */
  isInfrastructureFailure?: (error: unknown) => boolean;
  /** Called after a pass that parked rows committed, with their number (metrics). */
  onParked?: (count: number) => void;
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
}

export type RelayPassResult =
  /** Rows were sent (`count`, maybe 0) and others charged a failed attempt (`charged`, of which `parked` parked). */
  | { outcome: 'published'; count: number; charged: number; parked: number }
  | { outcome: 'idle' }
  /** Only rows waiting out a failed attempt are left; the earliest may go in `untilMs`. */
  | { outcome: 'backing_off'; untilMs: number }
  /** The broker failed (or the pass itself did): nothing charged, the relay backs off. */
  | { outcome: 'publish_failed'; error: string }
  | { outcome: 'not_leader' };

const MAX_BATCH_SIZE = 1_000;
const DEFAULT_MAX_ATTEMPTS = 8;
/** How long the LISTEN connection may take to connect, or its LISTEN to answer, before the relay polls on. */
const LISTEN_TIMEOUT_MS = 5_000;
/**
 * Rows charged in one pass at most. Each charge is a send that failed alone, and some fail slowly (a
 * missing topic costs the producer's whole retry budget): past this the pass ends, and the next one
 * finds the charged rows backing off and goes on with the rest.
 */
const MAX_CHARGES_PER_PASS = 5;

/**
 * The PENDING rows a pass may send, in position order: due, and with no earlier row of their key that
 * is parked or waiting out a failed attempt. That probe reads the partial index of such rows
 * (outbox_messages_blocking_key_position_idx), empty while nothing fails, so the hot path pays an
 * empty index lookup per row. An earlier row of the key that is due again is not a blocker: it is in
 * the same batch, ahead. A row never tried is always due: its next_attempt_at is its inserting
 * transaction's start, which can be later than this transaction's `now()` although it committed
 * before this SELECT, and skipping it (while it is no blocker) would let a later row of its key go first.
 */
const SELECT_SENDABLE = `
  SELECT o.position::text AS position, o.id::text AS id, o.topic, o.key, o.value, o.headers, o.attempts
    FROM outbox_messages AS o
   WHERE o.status = 'PENDING' AND (o.attempts = 0 OR o.next_attempt_at <= now())
     AND NOT EXISTS (
       SELECT 1 FROM outbox_messages AS b
        WHERE b.key = o.key AND b.position < o.position
          AND (b.status = 'PARKED' OR (b.status = 'PENDING' AND b.attempts > 0))
          AND (b.status = 'PARKED' OR b.next_attempt_at > now()))
   ORDER BY o.position
   LIMIT $1
     FOR UPDATE OF o`;

/**
 * Elects the leader: its own statement, before SELECT_SENDABLE, whose snapshot (READ COMMITTED takes one
 * per statement) must be taken after the lock is held, so it sees everything the previous leader
 * committed (a row it charged blocks its key). Without parameters (the key is a constant) it opens the
 * transaction in the same round trip as BEGIN on node-postgres (PgDatabase.transaction).
 */
const TRY_LEADER_LOCK = `SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_KEY}::bigint) AS leader`;

/** A row's failed send, charged to it. */
interface Charge {
  row: OutboxRow;
  error: unknown;
}

export class OutboxRelay<Tx extends SqlExecutor> {
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly safetyPollMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly maxAttempts: number;
  private readonly isInfrastructureFailure: (error: unknown) => boolean;
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
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1)
      throw new Error(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    this.isInfrastructureFailure = options.isInfrastructureFailure ?? isInfrastructureFailure;
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
  async relayPass(): Promise<RelayPassResult> {
    const result = await this.options.transaction(async (tx) => {
      const [lock] = await tx.query<{ leader: boolean }[]>(TRY_LEADER_LOCK);
      if (!lock?.leader) return { outcome: 'not_leader' } as const;
      const rows = await tx.query<OutboxRow[]>(SELECT_SENDABLE, this.batchSize);
      if (rows.length === 0) return this.idleOrBackingOff(tx);
      return this.publishRows(tx, rows);
    });
    if (result.outcome === 'published' && result.parked > 0) this.options.onParked?.(result.parked);
    return result;
  }

  /** Nothing to send now: the wait until the earliest failed row's next attempt, if any is due later. */
  private async idleOrBackingOff(tx: Tx): Promise<RelayPassResult> {
    const [next] = await tx.query<{ wait_ms: number | null }[]>(
      `SELECT (EXTRACT(EPOCH FROM min(next_attempt_at) - now()) * 1000)::float8 AS wait_ms
         FROM outbox_messages
        WHERE status = 'PENDING' AND attempts > 0 AND next_attempt_at > now()`,
    );
    const waitMs = next?.wait_ms;
    return waitMs === null || waitMs === undefined
      ? { outcome: 'idle' }
      : { outcome: 'backing_off', untilMs: Math.max(1, Math.ceil(waitMs)) };
  }

  /** Sends the batch at once; when that fails for the records' sake, row by row (sendOneByOne). */
  private async publishRows(tx: Tx, rows: OutboxRow[]): Promise<RelayPassResult> {
    let records: ProducerRecord[];
    try {
      records = await this.send(rows);
    } catch (error) {
      if (this.isInfrastructureFailure(error)) return this.relayFailed(rows.length, error);
      const [only] = rows;
      if (rows.length === 1 && only) {
        const parked = await this.charge(tx, [{ row: only, error }]);
        return { outcome: 'published', count: 0, charged: 1, parked };
      }
      this.logger.warn('outbox batch refused; sending its rows one by one', {
        count: rows.length,
        error: describeError(error),
      });
      return this.sendOneByOne(tx, rows);
    }
    await this.markSent(tx, rows, records);
    return { outcome: 'published', count: rows.length, charged: 0, parked: 0 };
  }

  /**
   * Sends each row alone, in order, skipping the rows of a key whose earlier row failed in this pass.
   * Stops at a broker failure (what was acknowledged before it is still marked) or after
   * MAX_CHARGES_PER_PASS charges; the rows not reached wait for the next pass, uncharged.
   */
  private async sendOneByOne(tx: Tx, rows: OutboxRow[]): Promise<RelayPassResult> {
    const sent: OutboxRow[] = [];
    const sentRecords: ProducerRecord[] = [];
    const charges: Charge[] = [];
    const blockedKeys = new Set<string>();
    let brokerFailure: unknown;
    for (const row of rows) {
      if (blockedKeys.has(row.key)) continue;
      if (charges.length >= MAX_CHARGES_PER_PASS) break;
      try {
        sentRecords.push(...(await this.send([row])));
        sent.push(row);
      } catch (error) {
        if (this.isInfrastructureFailure(error)) {
          brokerFailure = error;
          break;
        }
        charges.push({ row, error });
        blockedKeys.add(row.key);
      }
    }
    await this.markSent(tx, sent, sentRecords);
    const parked = await this.charge(tx, charges);
    if (brokerFailure !== undefined) return this.relayFailed(rows.length - sent.length, brokerFailure);
    return { outcome: 'published', count: sent.length, charged: charges.length, parked };
  }

  /** Publishes the rows in one send, each under its own publish span; the records as sent. */
  private async send(rows: OutboxRow[]): Promise<ProducerRecord[]> {
    const spans = startPublishSpans(rows);
    const records = rows.map(({ topic, key, value }, i) => ({
      topic,
      key,
      value,
      headers: spans.headers[i] ?? {},
    }));
    try {
      await this.options.publisher.send(records);
    } catch (error) {
      spans.end(error);
      throw error;
    }
    spans.end();
    return records;
  }

  private async markSent(tx: Tx, rows: OutboxRow[], records: ProducerRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.options.afterPublish?.(records);
    await tx.execute(
      `UPDATE outbox_messages SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_error = NULL
        WHERE position = ANY($1::bigint[])`,
      rows.map((row) => row.position),
    );
  }

  /**
   * Charges each failed row an attempt: it waits out a backoff, or, at maxAttempts, is PARKED (its error
   * kept). Returns how many parked.
   */
  private async charge(tx: Tx, charges: Charge[]): Promise<number> {
    let parked = 0;
    for (const { row, error } of charges) {
      const attempts = row.attempts + 1;
      const park = attempts >= this.maxAttempts;
      const delayMs = park ? 0 : backoffDelayMs(this.backoff, attempts);
      await tx.execute(
        `UPDATE outbox_messages
            SET attempts = $2, last_error = $3,
                status = CASE WHEN $4::boolean THEN 'PARKED'::outbox_status ELSE status END,
                parked_at = CASE WHEN $4::boolean THEN now() ELSE parked_at END,
                next_attempt_at = now() + ($5::int * interval '1 millisecond')
          WHERE position = $1::bigint`,
        row.position,
        attempts,
        describeError(error),
        park,
        delayMs,
      );
      const details = { position: row.position, id: row.id, topic: row.topic, key: row.key, attempts };
      if (park) {
        parked += 1;
        this.logger.error('outbox row parked: its key waits until an operator releases or discards it', {
          ...details,
          error: describeError(error),
          act: 'npm run outbox -- list',
        });
      } else {
        this.logger.warn('outbox row failed; retrying it after a backoff, its key waits', {
          ...details,
          delayMs,
          error: describeError(error),
        });
      }
    }
    return parked;
  }

  /** The broker failed: nothing is charged, the relay as a whole backs off (nextWaitMs). */
  private relayFailed(count: number, error: unknown): RelayPassResult {
    this.logger.warn('outbox publish failed: the broker is unavailable; backing off', {
      count,
      error: describeError(error),
    });
    return { outcome: 'publish_failed', error: describeError(error) };
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
    // Bounded, and kept alive: listen() runs inside the relay's loop, so a database host that swallows
    // packets, or a connection gone half-open, must not hold every pass behind it.
    const listener = new Client({
      connectionString: this.options.listenConnectionString,
      connectionTimeoutMillis: LISTEN_TIMEOUT_MS,
      query_timeout: LISTEN_TIMEOUT_MS,
      // Probes from 10 s of silence (the OS would wait two hours): a half-open connection is found
      // in about a minute instead of never, and the relay listens again.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
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
