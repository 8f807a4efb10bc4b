// Runs a service's Kafka side inside Nest's lifecycle: topics ensured and the idempotent producer
// connected on boot, the outbox relay started when the service has an outbox, and everything stopped
// in reverse order on shutdown (consumers first, so no handler runs against closed clients).
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { PgDatabase, PrismaRawSql, SqlExecutor } from '@oncepay/sql';
import {
  ConsumerRunner,
  countWaitingDeadLetters,
  DEAD_LETTER_CURSOR_GROUP,
  deadLetterTopicOf,
  ensureTopics,
  IdempotentProducer,
  OutboxRelay,
  OutboxSignal,
  type BatchEventHandler,
  type ConsumedEvent,
  type DeadLetter,
  type HandleOutcome,
  type IncomingMessage,
  type MessagingLogger,
} from '@oncepay/messaging';
import { ServiceMetrics } from './metrics';
import { ServiceStatus } from './service-status';
import { KAFKA, MESSAGING_OPTIONS, OUTBOX_SIGNAL, PG_DATABASE, PRODUCER } from './tokens';

export interface MessagingOptions {
  /** Topics this service produces to or consumes from; created (with their dead-letter topics) at boot. */
  topics: string[];
  /** True when the service writes events through the transactional outbox. */
  outbox: boolean;
}

/** The part of a generated PrismaClient an interactive transaction needs; see executorOfPrisma for `tx`. */
export interface TransactionalDatabase {
  $transaction<R>(
    fn: (tx: PrismaRawSql) => Promise<R>,
    options?: { isolationLevel?: 'ReadCommitted'; maxWait?: number; timeout?: number },
  ): Promise<R>;
}

type KafkaClient = ConstructorParameters<typeof IdempotentProducer>[0];

export function messagingLogger(context: string): MessagingLogger {
  const logger = new Logger(context);
  return {
    info: (message, details) => logger.log({ message, ...details }),
    warn: (message, details) => logger.warn({ message, ...details }),
    error: (message, details) => logger.error({ message, ...details }),
  };
}

@Injectable()
export class MessagingRuntime implements OnModuleInit, BeforeApplicationShutdown {
  private relay: OutboxRelay<SqlExecutor> | null = null;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    @Inject(PRODUCER) private readonly producer: IdempotentProducer,
    @Inject(PG_DATABASE) private readonly database: PgDatabase,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    @Inject(OUTBOX_SIGNAL) private readonly signal: OutboxSignal,
    private readonly config: ConfigService,
    private readonly metrics: ServiceMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    const namespace = this.config.getOrThrow<string>('KAFKA_NAMESPACE');
    const topics = this.options.topics.map((topic) => namespace + topic);
    await ensureTopics(
      this.kafka,
      topics,
      {
        numPartitions: this.config.getOrThrow<number>('KAFKA_PARTITIONS'),
        replicationFactor: this.config.get<number>('KAFKA_REPLICATION_FACTOR'),
        minInsyncReplicas: this.config.get<number>('KAFKA_MIN_INSYNC_REPLICAS'),
      },
      messagingLogger('Topology'),
    );
    await this.producer.connect();
    if (!this.options.outbox) return;
    this.relay = new OutboxRelay<SqlExecutor>({
      // The relay locks rows itself, so READ COMMITTED is enough. node-postgres, not Prisma: a pass is a
      // few fixed statements, run dozens of times a second under load.
      transaction: (fn) => this.database.transaction(fn),
      // Outbox rows name the logical topic; the namespace is applied on the way out.
      publisher: {
        send: (records) =>
          this.metrics.timePublish(records.length, () =>
            this.producer.send(records.map((r) => ({ ...r, topic: namespace + r.topic }))),
          ),
      },
      listenConnectionString: this.config.getOrThrow<string>('DATABASE_URL'),
      lingerMs: this.config.getOrThrow<number>('BATCH_LINGER_MS'),
      signal: this.signal,
      maxAttempts: this.config.getOrThrow<number>('OUTBOX_MAX_ATTEMPTS'),
      onParked: (count) => this.metrics.outboxRowsParked(count),
      logger: messagingLogger('OutboxRelay'),
    });
    await this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await this.producer.disconnect();
  }
}

/**
 * Base class for a service's consumer: name the group and topics and implement `handleBatch` (one
 * database transaction per batch); the runner starts after the app is up and stops before the
 * clients close.
 */
export abstract class EventConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected abstract readonly groupId: string;
  protected abstract readonly topics: string[];
  protected abstract handleBatch: BatchEventHandler;
  /**
   * ConsumerRunnerOptions.settleBeforeDeadLetter: a consumer that ends an event's story by design, and
   * writes `deadLetter` into its outbox in the same transaction. Its topic is the logical one, as an
   * outbox row's is (the relay applies KAFKA_NAMESPACE on the way out).
   */
  protected settleBeforeDeadLetter?: (
    item: ConsumedEvent,
    deadLetter: DeadLetter,
  ) => Promise<'settled_with_dead_letter' | 'nothing_to_settle'>;
  /** Fault-injection seam for tests: ConsumerRunnerOptions.afterHandled. */
  protected afterHandled?: (messages: readonly IncomingMessage[]) => Promise<void>;
  private runner: ConsumerRunner | null = null;
  // Property injection keeps subclasses' constructors to the two clients they pass up.
  @Inject(ConfigService) private readonly config!: ConfigService;
  @Inject(MESSAGING_OPTIONS) private readonly messaging!: MessagingOptions;
  @Inject(OUTBOX_SIGNAL) private readonly outboxSignal!: OutboxSignal;
  @Inject(ServiceStatus) private readonly status!: ServiceStatus;
  @Inject(ServiceMetrics) private readonly metrics!: ServiceMetrics;
  /** The runner's start in flight: it joins the group in the background, while HTTP already serves. */
  private starting: Promise<void> | null = null;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly producer: IdempotentProducer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const namespace = this.config.getOrThrow<string>('KAFKA_NAMESPACE');
    this.runner = new ConsumerRunner({
      kafka: this.kafka,
      groupId: namespace + this.groupId,
      topics: this.topics.map((topic) => namespace + topic),
      handleBatch: (batch) => this.handleAndSignal(batch),
      maxBatchSize: this.config.getOrThrow<number>('CONSUMER_MAX_BATCH_SIZE'),
      lingerMs: this.config.getOrThrow<number>('BATCH_LINGER_MS'),
      deadLetterProducer: this.producer,
      logger: messagingLogger(this.groupId),
      ...(this.afterHandled ? { afterHandled: this.afterHandled } : {}),
      ...(this.settleBeforeDeadLetter
        ? { settleBeforeDeadLetter: (item, deadLetter) => this.settleAndSignal(item, deadLetter, namespace) }
        : {}),
      observer: this.metrics.consumerObserver(this.groupId),
      onFailed: (error) => this.status.reportFatal(`consumer ${this.groupId} stopped`, error),
    });
    this.watchDeadLetters(namespace);
    const runner = this.runner;
    this.status.registerConsumer(this.groupId, () => runner.status);
    this.metrics.watchConsumer(this.groupId, () => runner.status.state);
    // Not awaited: after a crash, joining the group waits until the broker drops the dead member (a whole
    // session timeout), and HTTP should serve meanwhile. Readiness waits for the join instead. A failed
    // start is reported through onFailed.
    this.starting = runner.start().catch(() => undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
    await this.starting;
  }

  /** The metric of the dead letters waiting in this consumer's dead-letter topics. */
  private watchDeadLetters(namespace: string): void {
    const deadLetterTopics = this.topics.map((topic) => deadLetterTopicOf(namespace + topic));
    this.metrics.watchDeadLetters(deadLetterTopics, async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        return await countWaitingDeadLetters(admin, deadLetterTopics, namespace + DEAD_LETTER_CURSOR_GROUP);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    });
  }

  /** The subclass settles with the dead letter under its logical topic; committed, the relay is woken for it. */
  private async settleAndSignal(
    item: ConsumedEvent,
    deadLetter: DeadLetter,
    namespace: string,
  ): Promise<'settled_with_dead_letter' | 'nothing_to_settle'> {
    // The runner consumes the namespaced topics, so a dead letter's topic always carries the namespace.
    if (!deadLetter.topic.startsWith(namespace))
      throw new Error(`dead letter topic ${deadLetter.topic} is outside the namespace "${namespace}"`);
    const outcome = await this.settleBeforeDeadLetter!(item, {
      ...deadLetter,
      topic: deadLetter.topic.slice(namespace.length),
    });
    if (outcome === 'settled_with_dead_letter') this.outboxSignal.committed();
    return outcome;
  }

  /** The batch's transaction committed when handleBatch resolved: wake the relay for its outbox rows. */
  private async handleAndSignal(batch: readonly ConsumedEvent[]): Promise<HandleOutcome[]> {
    const startedAt = performance.now();
    const outcomes = await this.handleBatch(batch);
    this.metrics.batchHandled(this.groupId, (performance.now() - startedAt) / 1000, outcomes);
    if (this.messaging.outbox && outcomes.includes('processed')) this.outboxSignal.committed();
    return outcomes;
  }
}
