// GET /metrics in Prometheus' text format (prom-client), one registry per service instance: HTTP
// requests by route and status, each consumer's state and what it did with its events (handled,
// duplicates absorbed by dedup, ignored, dead-lettered), retries, lag, the outbox (pending rows, the age of the oldest, publish
// latency), the dead letters waiting for an operator, the database pool and the process.
// Effectively-once, visible while it happens. Every label takes a bounded set of values: route
// templates, never raw URLs; group and topic names; outcomes.
import { Controller, Get, Header, Injectable } from '@nestjs/common';
import {
  CONSUMER_STATES,
  withTimeout,
  type ConsumerObserver,
  type ConsumerState,
  type HandleOutcome,
} from '@oncepay/messaging';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/** Seconds, from a millisecond of an accept to the 30 s of a stalled batch. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** How long a scrape waits for the outbox backlog query. */
const OUTBOX_READ_TIMEOUT_MS = 2_000;
/** How long one read of the dead-letter backlog serves scrapes: it asks the broker, scrapes come often. */
const DEAD_LETTERS_CACHE_MS = 5_000;
/** How long a scrape waits for the broker's answer on the dead-letter backlog. */
const DEAD_LETTERS_READ_TIMEOUT_MS = 3_000;
/** Events per handler call, up to CONSUMER_MAX_BATCH_SIZE's maximum. */
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** What watchOutbox reads at each scrape. */
export interface OutboxBacklog {
  /** Rows not yet published (parked ones not counted). */
  pending: number;
  oldestAgeSeconds: number;
  parked: number;
}

@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly idempotentReplays: Counter<'route'>;
  private readonly consumerEvents: Counter<'group' | 'outcome'>;
  private readonly consumerBatchSize: Histogram<'group'>;
  private readonly consumerBatchDuration: Histogram<'group'>;
  private readonly consumerRetries: Counter<'group' | 'kind'>;
  private readonly consumerDeadLetters: Counter<'group' | 'reason'>;
  private readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  private readonly outboxPublished: Counter;
  private readonly outboxPublishFailures: Counter;
  private readonly outboxPublishDuration: Histogram;
  /** One per consumer that watches its dead-letter topics; one gauge reads them all. */
  private readonly deadLetterSources: (() => Promise<Map<string, number>>)[] = [];
  /** Each consumer's state, read at scrape time. */
  private readonly consumerStates = new Map<string, () => ConsumerState>();
  private readonly outboxParked: Counter;

  constructor(serviceName: string) {
    this.registry.setDefaultLabels({ service: serviceName });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = this.histogram({
      name: 'oncepay_http_request_duration_seconds',
      help: 'HTTP requests by route template and status, and how long each took to answer',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
    });
    this.idempotentReplays = this.counter({
      name: 'oncepay_idempotent_replays_total',
      help: 'Requests answered with the stored answer of an earlier one with the same Idempotency-Key',
      labelNames: ['route'],
    });
    this.consumerEvents = this.counter({
      name: 'oncepay_consumer_events_total',
      help: 'Events a consumer settled, by outcome: processed, duplicate (absorbed by dedup), ignored, dead_lettered',
      labelNames: ['group', 'outcome'],
    });
    this.consumerBatchSize = this.histogram({
      name: 'oncepay_consumer_batch_size',
      help: 'Events per handler call (one database transaction)',
      labelNames: ['group'],
      buckets: BATCH_SIZE_BUCKETS,
    });
    this.consumerBatchDuration = this.histogram({
      name: 'oncepay_consumer_batch_duration_seconds',
      help: 'How long a handler call took, its transaction included',
      labelNames: ['group'],
      buckets: LATENCY_BUCKETS,
    });
    this.consumerRetries = this.counter({
      name: 'oncepay_consumer_retries_total',
      help: 'Retries after a failure: of a whole batch (infrastructure) or of one event',
      labelNames: ['group', 'kind'],
    });
    this.consumerDeadLetters = this.counter({
      name: 'oncepay_consumer_dead_letters_total',
      help: 'Messages dead-lettered, by reason: sent to a dead-letter topic, or written to the outbox with the settlement that ends their transfer, for the relay to send',
      labelNames: ['group', 'reason'],
    });
    const consumerStates = this.consumerStates;
    this.gauge({
      name: 'oncepay_consumer_state',
      help: "Each consumer's state, one series per state, 1 for the one it is in: joining, running, stalled (no sign of life for STALL_AFTER_MS), stopped, failed",
      labelNames: ['group', 'state'],
      collect() {
        for (const [group, stateOf] of consumerStates) {
          const now = stateOf();
          for (const state of CONSUMER_STATES) this.set({ group, state }, state === now ? 1 : 0);
        }
      },
    });
    this.consumerLag = this.gauge({
      name: 'oncepay_consumer_lag_messages',
      help: 'Messages of a partition still behind the consumer, after its last committed batch',
      labelNames: ['group', 'topic', 'partition'],
    });
    const deadLetterSources = this.deadLetterSources;
    this.gauge({
      name: 'oncepay_dead_letters_waiting',
      help: 'Messages in the dead-letter topics of the topics this service consumes, not yet replayed or discarded',
      labelNames: ['topic'],
      async collect() {
        for (const counts of await Promise.all(deadLetterSources.map((source) => source())))
          for (const [topic, waiting] of counts) this.set({ topic }, waiting);
      },
    });
    this.outboxPublished = this.counter({
      name: 'oncepay_outbox_published_messages_total',
      help: 'Outbox rows the relay published to Kafka',
    });
    this.outboxPublishFailures = this.counter({
      name: 'oncepay_outbox_publish_failures_total',
      help: 'Relay sends Kafka did not acknowledge (a batch, or one row of a split batch; retried with backoff)',
    });
    this.outboxParked = this.counter({
      name: 'oncepay_outbox_parked_rows_total',
      help: 'Outbox rows the relay parked after failing past its bound (their key waits for an operator)',
    });
    this.outboxPublishDuration = this.histogram({
      name: 'oncepay_outbox_publish_duration_seconds',
      help: 'How long Kafka took to acknowledge one relay batch',
      buckets: LATENCY_BUCKETS,
    });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /** Connections of the service's one pool: in use, idle, and requests waiting for one. */
  watchPool(pool: { totalCount: number; idleCount: number; waitingCount: number }): void {
    this.gauge({
      name: 'oncepay_db_pool_connections',
      help: 'Connections of the database pool, by state (in_use, idle)',
      labelNames: ['state'],
      collect() {
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'idle' }, pool.idleCount);
      },
    });
    this.gauge({
      name: 'oncepay_db_pool_waiting_requests',
      help: 'Queries waiting for a free connection of the pool',
      collect() {
        this.set(pool.waitingCount);
      },
    });
  }

  /** The outbox's backlog and parked rows, read at scrape time (the relay's own index answers it). */
  watchOutbox(read: () => Promise<OutboxBacklog>): void {
    let last: Promise<OutboxBacklog> | null = null;
    // The gauges of one scrape from one query, bounded: a database that is down or a pool that is full
    // must not fail or hang the whole scrape (then they read NaN: unknown, not zero).
    const unknown = { pending: Number.NaN, oldestAgeSeconds: Number.NaN, parked: Number.NaN };
    const backlog = () =>
      (last ??= withTimeout(read(), OUTBOX_READ_TIMEOUT_MS, 'outbox backlog')
        .catch(() => unknown)
        .finally(() => setTimeout(() => (last = null), 0)));
    this.gauge({
      name: 'oncepay_outbox_pending_messages',
      help: 'Outbox rows not yet published',
      async collect() {
        this.set((await backlog()).pending);
      },
    });
    this.gauge({
      name: 'oncepay_outbox_oldest_pending_age_seconds',
      help: 'How long the oldest unpublished outbox row has waited (0 when none)',
      async collect() {
        this.set((await backlog()).oldestAgeSeconds);
      },
    });
    this.gauge({
      name: 'oncepay_outbox_parked_rows',
      help: 'Outbox rows parked after failing past the relay bound: each holds back its key until released or discarded (npm run outbox)',
      async collect() {
        this.set((await backlog()).parked);
      },
    });
  }

  /** The relay parked `count` rows. */
  outboxRowsParked(count: number): void {
    this.outboxParked.inc(count);
  }

  /**
   * The dead letters waiting in the dead-letter topics of a consumer's topics (not yet replayed or
   * discarded, see @oncepay/messaging's dead-letter-queue), read from the broker at scrape time and
   * cached for DEAD_LETTERS_CACHE_MS. A broker that does not answer makes them NaN: unknown, not zero.
   */
  watchDeadLetters(
    topics: readonly string[],
    read: () => Promise<{ topic: string; waiting: bigint }[]>,
  ): void {
    let cached: { at: number; counts: Promise<Map<string, number>> } | null = null;
    const unknown = () => new Map(topics.map((topic) => [topic, Number.NaN]));
    const counts = () => {
      if (cached && Date.now() - cached.at < DEAD_LETTERS_CACHE_MS) return cached.counts;
      const reading = withTimeout(read(), DEAD_LETTERS_READ_TIMEOUT_MS, 'dead-letter backlog').then(
        (found) => new Map(found.map(({ topic, waiting }) => [topic, Number(waiting)])),
        unknown,
      );
      cached = { at: Date.now(), counts: reading };
      return reading;
    };
    this.deadLetterSources.push(counts);
  }

  /** The state of the consumer of `group`, read at each scrape (a stall shows without a log line). */
  watchConsumer(group: string, state: () => ConsumerState): void {
    this.consumerStates.set(group, state);
  }

  /** One handler call of `group`: its size, its duration, each event's outcome. */
  batchHandled(group: string, seconds: number, outcomes: readonly HandleOutcome[]): void {
    this.consumerBatchSize.observe({ group }, outcomes.length);
    this.consumerBatchDuration.observe({ group }, seconds);
    for (const outcome of outcomes) this.consumerEvents.inc({ group, outcome });
  }

  consumerObserver(group: string): ConsumerObserver {
    // The partitions this instance reported lag for: after a rebalance they may be another member's,
    // whose numbers would otherwise stay here, frozen.
    const reported = new Map<string, { group: string; topic: string; partition: string }>();
    return {
      retried: (kind) => this.consumerRetries.inc({ group, kind }),
      deadLettered: (reason) => {
        this.consumerDeadLetters.inc({ group, reason });
        this.consumerEvents.inc({ group, outcome: 'dead_lettered' });
      },
      lag: (topic, partition, messages) => {
        const labels = { group, topic, partition: String(partition) };
        reported.set(`${topic}/${partition}`, labels);
        this.consumerLag.set(labels, messages);
      },
      rejoined: () => {
        for (const labels of reported.values()) this.consumerLag.remove(labels);
        reported.clear();
      },
    };
  }

  /** Times one relay batch's send and counts what it published or that it failed. */
  async timePublish<T>(count: number, send: () => Promise<T>): Promise<T> {
    const stop = this.outboxPublishDuration.startTimer();
    try {
      const result = await send();
      this.outboxPublished.inc(count);
      return result;
    } catch (error) {
      this.outboxPublishFailures.inc();
      throw error;
    } finally {
      stop();
    }
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
