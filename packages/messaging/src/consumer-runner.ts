// Runs one consumer group over its topics with the rules that keep processing effectively-once:
// - every message is decoded into a validated event at the edge; one that does not decode goes to the
//   dead-letter topic with the reason, and the partition moves on;
// - the handler gets the decoded events of a batch (up to `maxBatchSize`, in partition order) and does
//   their work (dedup records + effects + outbox rows) in ONE database transaction. One commit per batch
//   instead of per message is what makes the consumer fast; it changes nothing about correctness,
//   because the batch commits or rolls back as a whole, dedup records included;
// - the offset is committed only after that transaction committed. A crash in between redelivers the
//   batch and the handler's dedup makes it a no-op. Offsets are an optimisation, never the guarantee:
//   kafkajs can commit for a partition it just lost in a rebalance (issue #1046). So they are committed
//   coalesced, at most once per `offsetCommitIntervalMs` (and that long after the last batch when no
//   other follows), not once per batch: an OffsetCommit is a round trip to the broker per batch, and a
//   crash or rebalance then redelivers up to that interval's batches, which dedup absorbs
//   (docs/adr/0015-coalesced-offset-commits.md);
// - retriable failures (database or broker away) are retried with capped backoff and, past the bound,
//   handed back to kafkajs, which fetches the batch again itself (its retries, about two minutes) and
//   then restarts the consumer from the last committed offset. Any other
//   failure of a batch splits it: its events are handled one by one, so only the event that really
//   fails is retried a bounded number of times and then dead-lettered, and the others still commit;
// - before such an event is dead-lettered, an optional `settleBeforeDeadLetter` lets the service end
//   what the event asked for by design (the ledger rejects the transfer), so a dead letter never
//   leaves its story without an end that someone can see; the dead letter then goes through the
//   service's outbox, in the settling transaction, so the one cannot commit without the other.
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeEvent, type OncePayEvent } from '@oncepay/contracts';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelayMs, type BackoffPolicy } from './backoff';
import { deadLetterRecord, type DeadLetter } from './dead-letter';
import { METADATA_MAX_AGE_MS } from './kafka-client';
import { withTimeout } from './kafka-health';
import { describeError, isDatabaseSetupError, isRetriableError } from '@oncepay/sql';
import { toIncomingMessage, type IncomingMessage } from './incoming-message';
import { jsonLineLogger, type MessagingLogger } from './logger';
import type { IdempotentProducer } from './producer';
import { withConsumeSpans } from './tracing';

/** What a handler reports: it did the work, it had already done it, or the event needs nothing from it. */
export type HandleOutcome = 'processed' | 'duplicate' | 'ignored';

/** A decoded, validated event with the Kafka message it came in. */
export interface ConsumedEvent {
  event: OncePayEvent;
  message: IncomingMessage;
}

/**
 * Handles a batch of events (in partition order) in one database transaction and reports one outcome
 * per event, in the same order. It must be all or nothing: if it throws, nothing of the batch committed.
 */
export type BatchEventHandler = (batch: readonly ConsumedEvent[]) => Promise<HandleOutcome[]>;

/** Handles one event in its own transaction. */
export type EventHandler = (event: OncePayEvent, message: IncomingMessage) => Promise<HandleOutcome>;

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** The batch handler; `oneAtATime(handler)` adapts a handler written for single events. */
  handleBatch: BatchEventHandler;
  /** Publishes dead letters; shared with the service's outbox relay is fine (sends are serialized). */
  deadLetterProducer: Pick<IdempotentProducer, 'send'>;
  /**
   * Most events per handler call, so per database transaction. Larger batches mean fewer commits
   * (throughput) but longer transactions and later offset commits (latency, redelivery after a crash).
   */
  maxBatchSize?: number;
  /**
   * How long the broker may hold a fetch to gather a fuller batch (up to FETCH_MIN_BYTES) before it
   * answers with what it has: fewer, larger transactions for at most this much latency per hop. It is
   * also how often an idle consumer asks again.
   */
  lingerMs?: number;
  /**
   * Longest time the offsets of handled batches wait before they are committed (one OffsetCommit for
   * all of them). Longer means fewer requests, and more batches redelivered (and deduplicated) after a
   * crash or a rebalance. 0 commits after every batch.
   */
  offsetCommitIntervalMs?: number;
  /** Attempts per batch (retriable failures) or per event (after a split) before giving up. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  isRetriable?: (error: unknown) => boolean;
  logger?: MessagingLogger;
  /**
   * Runs when a decodable event is about to be dead-lettered because its handler kept failing: the place
   * to settle, in one transaction of its own, what the event asked for (with its dedup record, so a
   * replay changes nothing) AND to write `deadLetter` into the service's outbox in that same
   * transaction. Then the dead letter exists if and only if the settlement committed: sent from here
   * after the commit, a broker away or a crash in between would lose it, since the redelivery is a
   * duplicate by then. It must change nothing but write the dead letter when the event's work was done
   * or decided already. 'nothing_to_settle': an event it does not end; the runner sends the dead letter.
   * Not run when the failure is the database refusing the service itself (isDatabaseSetupError: a missing
   * grant or column fails every event, and each should wait for a replay, not be ended).
   * If it throws a retriable error the event is not dead-lettered but handed back to kafkajs (redelivered
   * later); any other error is logged and the event is dead-lettered unsettled, the reason saying so.
   */
  settleBeforeDeadLetter?: (
    item: ConsumedEvent,
    deadLetter: DeadLetter,
  ) => Promise<'settled_with_dead_letter' | 'nothing_to_settle'>;
  /** Fault-injection seam for tests: runs after a batch's transaction committed, before the offset commit. */
  afterHandled?: (messages: readonly IncomingMessage[]) => Promise<void>;
  /**
   * The consumer stopped for good: it could not start, or kafkajs crashed it and will not restart it (an
   * error it cannot retry). Nothing is consumed any more; the service should say so and exit.
   */
  onFailed?: (error: unknown) => void;
  /** Told what the handler's outcomes do not show, for the service's metrics. */
  observer?: ConsumerObserver;
  /** How long a running consumer may go without a sign of life before it is `stalled` (STALL_AFTER_MS). */
  stallAfterMs?: number;
  now?: () => Date;
}

/** What a consumer reports beyond its handler's outcomes: retries, dead letters, how far behind it is. */
export interface ConsumerObserver {
  /** A retry after a failure: of a whole batch (infrastructure) or of one event (after a split). */
  retried(kind: 'batch' | 'event'): void;
  deadLettered(reason: 'undecodable' | 'handler_failed'): void;
  /** After a batch committed: the messages of the partition still behind it. */
  lag(topic: string, partition: number, messages: number): void;
  /** The consumer (re)joined its group: the partitions it reported on may now be another member's. */
  rejoined(): void;
}

/**
 * Where the consumer is: `joining` until it holds its partitions (at start and while kafkajs restarts it
 * after a retriable crash), `running`, `stopped` by stop(), or `failed` for good (see onFailed).
 * `stalled` is a running consumer that showed no sign of life for stallAfterMs: no fetch made, no
 * rebalance begun, no batch begun or ended, no handler call or heartbeat within a batch. An idle consumer fetches every
 * lingerMs, so this is a broker that has not answered for that long, a handler call that has not
 * returned, or kafkajs waiting on a request that never settles (its issue #659): consuming has stopped
 * while the process looks well, and readiness says so. It is running again at the next sign of life.
 * With several brokers kafkajs runs one fetch loop per broker, and a broker that leads none of the
 * consumer's partitions answers an empty fetch every lingerMs whatever the others do: so a batch with
 * no handler call or heartbeat for stallAfterMs is a stall too, however lively the other loops are.
 * One broker's fetch that never returns while the others' do is not told apart: a fetch that threw
 * looks the same from outside (kafkajs starts its loops again without that broker once its partitions
 * have moved, and emits nothing to say so), and calling that a stall would drop every instance from
 * readiness in the broker failover a cluster exists to absorb.
 */
export const CONSUMER_STATES = ['joining', 'running', 'stalled', 'stopped', 'failed'] as const;
export type ConsumerState = (typeof CONSUMER_STATES)[number];

/**
 * What a dead letter's reason carries when the service could not settle its event before dead-lettering
 * it (settleBeforeDeadLetter): its story did not end, and a replay is what ends it (npm run dlq reads it).
 */
export const NOT_SETTLED = '; not settled:';

export interface ConsumerStatus {
  state: ConsumerState;
  /** Why it failed, when it did. */
  failure?: string;
}

export type MessageResult = HandleOutcome | 'dead_lettered';

/** Adapts a single-event handler: each event of the batch then commits in its own transaction. */
export function oneAtATime(handle: EventHandler): BatchEventHandler {
  return async (batch) => {
    const outcomes: HandleOutcome[] = [];
    for (const { event, message } of batch) outcomes.push(await handle(event, message));
    return outcomes;
  };
}

/**
 * For a consumer that cares about some event types only: hands the matching events of the batch to
 * `handle` (in batch order) and reports `ignored` for the others; outcomes come back in batch order.
 */
export async function handleMatching<E extends OncePayEvent>(
  batch: readonly Pick<ConsumedEvent, 'event'>[],
  matches: (event: OncePayEvent) => event is E,
  handle: (events: E[]) => Promise<HandleOutcome[]>,
): Promise<HandleOutcome[]> {
  const positions: number[] = [];
  const events: E[] = [];
  batch.forEach(({ event }, i) => {
    if (!matches(event)) return;
    positions.push(i);
    events.push(event);
  });
  const outcomes: HandleOutcome[] = batch.map(() => 'ignored');
  if (events.length === 0) return outcomes;
  const handled = await handle(events);
  positions.forEach((position, j) => (outcomes[position] = handled[j] ?? 'ignored'));
  return outcomes;
}

export const DEFAULT_MAX_BATCH_SIZE = 200;
/** See `ConsumerRunnerOptions.offsetCommitIntervalMs`. */
export const DEFAULT_OFFSET_COMMIT_INTERVAL_MS = 1_000;
/** See `ConsumerRunnerOptions.lingerMs`. */
export const DEFAULT_LINGER_MS = 10;

/**
 * A running consumer silent for longer is `stalled`. Above a rejoin that waits out the rebalance
 * timeout (60 s), above what kafkajs may spend on one request (30 s) plus its longest retry wait (30 s),
 * and well above a handler call under the default statement timeout (10 s): a slow broker or database
 * is not a stall, more than a minute of silence is.
 */
export const STALL_AFTER_MS = 75_000;

/**
 * How long stop() waits for the commit of what was handled. kafkajs retries a commit for minutes while
 * the broker is away, longer than a supervisor's grace before SIGKILL; what is not committed is only
 * redelivered to the next owner, and deduplicated.
 */
const STOP_COMMIT_TIMEOUT_MS = 5_000;
/** A fetch holding this much is answered at once: about a full batch of OncePay's events (~1 KB each). */
const FETCH_MIN_BYTES = 256 * 1024;

/**
 * Lingering: the broker holds a fetch until it has FETCH_MIN_BYTES or `lingerMs` passed. Without: it
 * answers as soon as anything arrives, and an idle fetch waits 100 ms before asking again.
 */
function fetchWait(lingerMs: number): { minBytes: number; maxWaitTimeInMs: number } {
  return lingerMs > 0
    ? { minBytes: FETCH_MIN_BYTES, maxWaitTimeInMs: lingerMs }
    : { minBytes: 1, maxWaitTimeInMs: 100 };
}

export class ConsumerRunner {
  private readonly consumer: Consumer;
  private readonly maxBatchSize: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly isRetriable: (error: unknown) => boolean;
  private readonly logger: MessagingLogger;
  private readonly now: () => Date;
  private readonly offsetCommitIntervalMs: number;
  private current: ConsumerStatus = { state: 'joining' };
  /** The last sign of life: a join or rebalance, a fetch made, a batch begun or ended, a handler call, a heartbeat. */
  private lastSignOfLifeMs: number;
  /** Batches in eachBatch now (one at a time, partitionsConsumedConcurrently 1), and their last progress. */
  private batchesInFlight = 0;
  private lastBatchProgressMs = 0;
  private readonly stallAfterMs: number;
  /** The offsets resolved (handled) and not committed yet, as kafkajs keeps them; set by the first batch. */
  private uncommittedOffsets: EachBatchPayload['uncommittedOffsets'] | null = null;
  /** Commits what the last batches resolved when no batch came to do it within the interval. */
  private idleCommit: NodeJS.Timeout | null = null;
  /** That commit while it runs: stop() waits for it before it disconnects. */
  private idleCommitting: Promise<void> | null = null;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000 };
    this.isRetriable = options.isRetriable ?? isRetriableError;
    this.logger = options.logger ?? jsonLineLogger;
    this.now = options.now ?? (() => new Date());
    this.offsetCommitIntervalMs = options.offsetCommitIntervalMs ?? DEFAULT_OFFSET_COMMIT_INTERVAL_MS;
    this.stallAfterMs = options.stallAfterMs ?? STALL_AFTER_MS;
    this.lastSignOfLifeMs = this.now().getTime();
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      // How long the broker waits for a member that stopped heartbeating: after a crash (or a broker
      // restart, which kafkajs survives by rejoining as a new member) the group waits this long for the
      // old member before it rebalances. Short enough to resume quickly, 3 heartbeats long.
      sessionTimeout: 10_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
      ...fetchWait(options.lingerMs ?? DEFAULT_LINGER_MS),
      // Read only what producers committed; OncePay's producers are not transactional, but be explicit.
      readUncommitted: false,
      allowAutoTopicCreation: false,
      // Partitions added to a topic are noticed within this long; kafkajs then rejoins to take them.
      metadataMaxAge: METADATA_MAX_AGE_MS,
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
    });
  }

  get status(): ConsumerStatus {
    if (this.current.state !== 'running') return this.current;
    const stall = this.stallOf(this.now().getTime());
    return stall === null ? this.current : { state: 'stalled', failure: stall };
  }

  /** Why a running consumer is stalled at `nowMs` (see ConsumerState), or null. */
  private stallOf(nowMs: number): string | null {
    const seconds = (sinceMs: number) => Math.round((nowMs - sinceMs) / 1000);
    const stale = (sinceMs: number) => nowMs - sinceMs > this.stallAfterMs;
    if (stale(this.lastSignOfLifeMs))
      return `no fetch made and no batch progress for ${seconds(this.lastSignOfLifeMs)} s`;
    if (this.batchesInFlight > 0 && stale(this.lastBatchProgressMs))
      return `a batch has made no progress (no handler call, no heartbeat) for ${seconds(this.lastBatchProgressMs)} s`;
    return null;
  }

  /**
   * Connects, subscribes and starts consuming; resolves once kafkajs runs the consumer (it has joined
   * the group). A failure to start marks the consumer failed (onFailed) and rejects.
   */
  async start(): Promise<void> {
    const { GROUP_JOIN, CRASH, REBALANCING, FETCH, START_BATCH_PROCESS, END_BATCH_PROCESS } =
      this.consumer.events;
    // A rebalance starts a rejoin that may wait out the rebalance timeout (60 s) while another member
    // finishes its batch: a sign of life at its start, so STALL_AFTER_MS covers it. It does not make
    // the consumer `joining`: readiness would drop every instance of the group at each rebalance.
    for (const sign of [FETCH, START_BATCH_PROCESS, END_BATCH_PROCESS, REBALANCING])
      this.consumer.on(sign, () => this.markAlive());
    this.consumer.on(GROUP_JOIN, () => {
      this.markAlive();
      // A new generation: what the last one resolved and did not commit is redelivered (and deduped).
      this.uncommittedOffsets = null;
      if (this.current.state === 'joining') this.current = { state: 'running' };
      this.options.observer?.rejoined();
    });
    // kafkajs restarts the consumer after a crash it can retry; after any other (a TypeError in our code,
    // an error it does not know) it disconnects and stays down, and nothing else would tell.
    this.consumer.on(CRASH, ({ payload }) => {
      // A join that stop() cut short ends in a crash kafkajs would restart from: disconnect it again.
      if (this.current.state === 'stopped') return void this.consumer.disconnect().catch(() => undefined);
      if (this.current.state === 'failed') return;
      if (payload.restart) this.current = { state: 'joining' };
      else this.fail(payload.error);
    });
    try {
      // stop() may come between these steps (a service shut down while it still joins): each step
      // looks, and a stopped runner disconnects what the step before it connected.
      await this.consumer.connect();
      if (this.stopped()) return await this.consumer.disconnect();
      await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
      if (this.stopped()) return await this.consumer.disconnect();
      await this.consumer.run({
        // Offsets are resolved after each batch's commit and committed by commitOffsetsIfNecessary once
        // the interval passed (kafkajs' own autoCommit would commit after every fetched batch).
        autoCommit: false,
        autoCommitInterval: this.offsetCommitIntervalMs,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      if (this.stopped()) await this.consumer.disconnect();
    } catch (error) {
      // stop() during the start is a stop, not a failure.
      if (!this.stopped()) this.fail(error);
      throw error;
    }
  }

  async stop(): Promise<void> {
    const wasRunning = this.current.state === 'running';
    this.current = { state: 'stopped' };
    this.cancelIdleCommit();
    // Still a member: hand over what was handled, so the next owner does not get it again; bounded.
    const handOver = async () => {
      await this.idleCommitting;
      if (wasRunning) await this.commitUncommitted();
    };
    await withTimeout(handOver(), STOP_COMMIT_TIMEOUT_MS, 'the offset commit at stop').catch(
      (error: unknown) =>
        this.logger.warn('offsets not committed at stop; the next owner gets those batches again', {
          groupId: this.options.groupId,
          error: describeError(error),
        }),
    );
    await this.consumer.disconnect();
  }

  /** A sign of life: see ConsumerState's `stalled`. */
  private markAlive(): void {
    this.lastSignOfLifeMs = this.now().getTime();
  }

  /** A sign of life of the batch in flight (a handler call, a heartbeat): no other fetch loop's counts. */
  private markBatchProgress(): void {
    this.markAlive();
    this.lastBatchProgressMs = this.lastSignOfLifeMs;
  }

  /** A method, not a field read, so the type checker does not narrow the state across the awaits. */
  private stopped(): boolean {
    return this.current.state === 'stopped';
  }

  private fail(error: unknown): void {
    this.current = { state: 'failed', failure: describeError(error) };
    this.logger.error('consumer stopped for good', {
      groupId: this.options.groupId,
      error: describeError(error),
    });
    this.options.onFailed?.(error);
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    // Called after each chunk and between retries: a batch that takes long but moves is not a stall.
    const heartbeat = () => {
      this.markBatchProgress();
      return payload.heartbeat();
    };
    this.uncommittedOffsets = payload.uncommittedOffsets;
    this.batchesInFlight += 1;
    this.markBatchProgress();
    try {
      await this.eachChunk(payload, heartbeat);
    } finally {
      this.batchesInFlight -= 1;
    }
  }

  /** The batch's chunks of at most maxBatchSize, each handled, resolved and (when due) committed. */
  private async eachChunk(payload: EachBatchPayload, heartbeat: () => Promise<void>): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    for (let start = 0; start < batch.messages.length; start += this.maxBatchSize) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + this.maxBatchSize);
      const messages = chunk.map((raw) => toIncomingMessage(batch.topic, batch.partition, raw));
      await this.processBatch(messages, heartbeat, isRunning);
      await this.options.afterHandled?.(messages);
      const last = chunk[chunk.length - 1] as KafkaMessage;
      // Handled and committed in the database: its offset may be committed from now on.
      resolveOffset(last.offset);
      const next = (BigInt(last.offset) + 1n).toString();
      if (this.stopped()) await this.handOver(commitOffsetsIfNecessary, batch.topic, batch.partition, next);
      else await commitOffsetsIfNecessary();
      this.armIdleCommit();
      this.options.observer?.lag(
        batch.topic,
        batch.partition,
        Number(BigInt(batch.highWatermark) - BigInt(next)),
      );
      await heartbeat();
    }
  }

  /**
   * A batch that finished after stop() began: stop() committed what was handled before it, so this one
   * hands over its own offset. Explicit offsets go to the group at once, whatever the interval. A failure
   * costs a redelivery to the next owner, which dedup absorbs: logged, not thrown into the shutdown.
   */
  private async handOver(
    commit: EachBatchPayload['commitOffsetsIfNecessary'],
    topic: string,
    partition: number,
    offset: string,
  ): Promise<void> {
    try {
      await commit({ topics: [{ topic, partitions: [{ partition, offset }] }] });
    } catch (error) {
      this.logger.warn('offset of the last batch not handed over at stop; the next owner gets it again', {
        groupId: this.options.groupId,
        topic,
        partition,
        offset,
        error: describeError(error),
      });
    }
  }

  /** After a batch: commit its offsets within the interval even if no batch follows to do it. */
  private armIdleCommit(): void {
    // A stopping runner commits in stop(); a timer firing after the disconnect would find no group.
    if (this.idleCommit || this.stopped()) return;
    this.idleCommit = setTimeout(() => {
      this.idleCommit = null;
      this.idleCommitting = this.commitUncommitted().finally(() => (this.idleCommitting = null));
    }, this.offsetCommitIntervalMs);
    this.idleCommit.unref();
  }

  private cancelIdleCommit(): void {
    if (this.idleCommit) clearTimeout(this.idleCommit);
    this.idleCommit = null;
  }

  /**
   * Commits the offsets resolved and not committed yet, if any. A failure (a rebalance under way, the
   * broker away) is only logged: the batches are then redelivered, and deduplicated.
   */
  private async commitUncommitted(): Promise<void> {
    const topics = this.uncommittedOffsets?.().topics ?? [];
    const offsets = topics.flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
    );
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
    } catch (error) {
      this.logger.warn('could not commit the offsets of handled batches; they will be redelivered', {
        groupId: this.options.groupId,
        error: describeError(error),
      });
    }
  }

  /**
   * Settles every message of a batch: undecodable ones are dead-lettered, the events are handled in
   * one transaction, or one by one if that batch fails for a reason other than infrastructure.
   */
  async processBatch(
    messages: readonly IncomingMessage[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<MessageResult[]> {
    const results = new Map<IncomingMessage, MessageResult>();
    const events: ConsumedEvent[] = [];
    for (const message of messages) {
      const decoded = decodeEvent(message.value);
      if (decoded.ok) events.push({ event: decoded.event, message });
      else
        results.set(
          message,
          await this.deadLetter(message, `undecodable: ${decoded.reason}`, 0, 'undecodable'),
        );
    }
    if (events.length > 0) {
      const traced = events.map(({ event, message }) => ({
        aggregateId: event.aggregateId,
        topic: message.topic,
        headers: message.headers,
      }));
      const outcomes = await withConsumeSpans(this.options.groupId, traced, () =>
        this.handleBatch(events, heartbeat, isRunning),
      );
      events.forEach(({ message }, i) => results.set(message, outcomes[i] as MessageResult));
    }
    return messages.map((message) => results.get(message) as MessageResult);
  }

  private async handleBatch(
    events: readonly ConsumedEvent[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<MessageResult[]> {
    if (events.length === 1)
      return [await this.handleAlone(events[0] as ConsumedEvent, heartbeat, isRunning)];
    try {
      return await this.withRetriableRetries(events, heartbeat, isRunning);
    } catch (error) {
      if (this.isRetriable(error)) throw error;
      // Something in the batch is wrong: find it by handling the events one by one. Those of them an
      // earlier attempt committed cannot exist (the batch rolled back), so nothing is done twice.
      this.logger.warn('batch failed; handling its events one by one', {
        ...where(events),
        error: describeError(error),
      });
      const results: MessageResult[] = [];
      for (const item of events) results.push(await this.handleAlone(item, heartbeat, isRunning));
      return results;
    }
  }

  /** Retries the whole batch on infrastructure failures only; any other failure is thrown at once. */
  private async withRetriableRetries(
    events: readonly ConsumedEvent[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<MessageResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callHandler(events);
      } catch (error) {
        if (!this.isRetriable(error)) throw error;
        const context = { ...where(events), attempt, error: describeError(error) };
        if (attempt >= this.maxAttempts || !isRunning()) {
          this.logger.warn('batch keeps failing on infrastructure; handing back to kafkajs', context);
          throw error;
        }
        this.logger.warn('batch failed on infrastructure; retrying', context);
        this.options.observer?.retried('batch');
        await sleep(backoffDelayMs(this.backoff, attempt));
        await heartbeat();
      }
    }
  }

  /** Handles one event within the retry bound; never returns before it is settled. */
  private async handleAlone(
    item: ConsumedEvent,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<MessageResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [outcome] = await this.callHandler([item]);
        return outcome as HandleOutcome;
      } catch (error) {
        const retriable = this.isRetriable(error);
        const context = { ...where([item]), attempt, retriable, error: describeError(error) };
        // A consumer that is stopping (a restart, a rebalance) never dead-letters: what fails while its
        // pool and clients close is most likely the closing, not the event. The event stays uncommitted
        // and goes to the next owner, whose dedup makes a second look harmless.
        if (!isRunning()) {
          this.logger.warn(
            'handler failed while the consumer stops; leaving the event to its next owner',
            context,
          );
          throw error;
        }
        if (attempt >= this.maxAttempts) {
          if (retriable) {
            this.logger.warn('handler keeps failing on infrastructure; handing back to kafkajs', context);
            throw error;
          }
          return this.settleAndDeadLetter(item, `handler failed: ${describeError(error)}`, attempt, error);
        }
        this.logger.warn('handler failed; retrying', context);
        this.options.observer?.retried('event');
        await sleep(backoffDelayMs(this.backoff, attempt));
        await heartbeat();
      }
    }
  }

  /**
   * Dead-letters an event its handler cannot handle, settled first when the service says how
   * (settleBeforeDeadLetter): the hook then writes the dead letter into its outbox with the settlement,
   * and the relay sends it. Otherwise, or when settling failed for good (the reason says so), it is sent
   * from here.
   */
  private async settleAndDeadLetter(
    item: ConsumedEvent,
    reason: string,
    attempts: number,
    failure: unknown,
  ): Promise<'dead_lettered'> {
    const deadLetter = this.deadLetterOf(item.message, reason, attempts);
    const unsettled = await this.settleWith(item, deadLetter, failure);
    if (unsettled === null) {
      this.options.observer?.deadLettered('handler_failed');
      this.logger.error('message dead-lettered with its settlement, through the outbox', {
        ...where([item]),
        reason,
        deadLetterTopic: deadLetter.topic,
      });
      return 'dead_lettered';
    }
    return this.deadLetter(item.message, reason + unsettled, attempts, 'handler_failed');
  }

  /**
   * Runs the settleBeforeDeadLetter hook, if any, with the dead letter. Returns null when the hook settled
   * and wrote the dead letter; otherwise what to add to the dead letter's reason before the runner sends
   * it: nothing when there was nothing to settle, why not when settling failed for good. A retriable
   * failure is thrown: the event is then redelivered rather than dead-lettered unsettled while, say, the
   * database is away.
   */
  private async settleWith(
    item: ConsumedEvent,
    deadLetter: DeadLetter,
    failure: unknown,
  ): Promise<string | null> {
    const settle = this.options.settleBeforeDeadLetter;
    if (!settle) return '';
    // A missing grant or column fails every event alike: settling would end each of them for good (the
    // ledger would reject every transfer) where a replay after the fix would have done the work.
    if (isDatabaseSetupError(failure)) {
      this.logger.error('not settling a dead letter: the database refused the service, not the event', {
        ...where([item]),
        error: describeError(failure),
      });
      return `${NOT_SETTLED} the database refused the service itself (replay it once that is fixed)`;
    }
    try {
      return (await settle(item, deadLetter)) === 'settled_with_dead_letter' ? null : '';
    } catch (error) {
      const context = { ...where([item]), error: describeError(error) };
      if (this.isRetriable(error)) {
        this.logger.warn(
          'could not settle the event before dead-lettering it; handing back to kafkajs',
          context,
        );
        throw error;
      }
      this.logger.error('could not settle the event before dead-lettering it', context);
      return `${NOT_SETTLED} ${describeError(error)}`;
    }
  }

  private async callHandler(events: readonly ConsumedEvent[]): Promise<HandleOutcome[]> {
    this.markBatchProgress();
    const outcomes = await this.options.handleBatch(events);
    if (outcomes.length !== events.length)
      throw new Error(`batch handler returned ${outcomes.length} outcomes for ${events.length} events`);
    return outcomes;
  }

  private async deadLetter(
    message: IncomingMessage,
    reason: string,
    attempts: number,
    kind: 'undecodable' | 'handler_failed',
  ): Promise<'dead_lettered'> {
    const record = this.deadLetterOf(message, reason, attempts);
    await this.options.deadLetterProducer.send([record]);
    this.options.observer?.deadLettered(kind);
    this.logger.error('message dead-lettered', {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      reason,
      deadLetterTopic: record.topic,
    });
    return 'dead_lettered';
  }

  private deadLetterOf(message: IncomingMessage, reason: string, attempts: number): DeadLetter {
    return deadLetterRecord(message, {
      reason,
      attempts,
      consumerGroup: this.options.groupId,
      failedAt: this.now(),
    });
  }
}

/** Where a batch sits, for logs: topic, partition and its offset range. */
function where(events: readonly ConsumedEvent[]): Record<string, unknown> {
  const first = events[0]?.message;
  const last = events[events.length - 1]?.message;
  return {
    topic: first?.topic,
    partition: first?.partition,
    offsets: first === last ? first?.offset : `${first?.offset}-${last?.offset}`,
  };
}
