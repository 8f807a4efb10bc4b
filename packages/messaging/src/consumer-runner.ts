// Runs one consumer group over its topics with the rules that keep processing effectively-once:
// - every message is decoded into a validated event at the edge; one that does not decode goes to the
//   dead-letter topic with the reason, and the partition moves on;
// - the handler does its work (dedup record + effect + outbox row) in one database transaction;
// - the offset is committed only after that transaction committed. A crash in between redelivers the
//   message and the handler's dedup makes it a no-op. Offsets are an optimisation, never the guarantee:
//   kafkajs can commit for a partition it just lost in a rebalance (issue #1046);
// - retriable failures (database or broker away) are retried with capped backoff and, past the bound,
//   handed back to kafkajs, which restarts the consumer from the last committed offset; any other
//   failure is retried a bounded number of times, then dead-lettered.
import { decodeEvent, type OncePayEvent } from '@oncepay/contracts';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { backoffDelayMs, sleep, type BackoffPolicy } from './backoff';
import { deadLetterRecord } from './dead-letter';
import { describeError, isRetriableError } from './errors';
import { toIncomingMessage, type IncomingMessage } from './incoming-message';
import { jsonLineLogger, type MessagingLogger } from './logger';
import type { IdempotentProducer } from './producer';

/** What a handler reports: it did the work, it had already done it, or the event needs nothing from it. */
export type HandleOutcome = 'processed' | 'duplicate' | 'ignored';

export type EventHandler = (event: OncePayEvent, message: IncomingMessage) => Promise<HandleOutcome>;

export interface ConsumerRunnerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  handle: EventHandler;
  /** Publishes dead letters; shared with the service's outbox relay is fine (sends are serialized). */
  deadLetterProducer: Pick<IdempotentProducer, 'send'>;
  /** Attempts per message before a non-retriable failure is dead-lettered, or a retriable one handed back. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  isRetriable?: (error: unknown) => boolean;
  logger?: MessagingLogger;
  /** Fault-injection seam for tests: runs after the handler committed, before the offset commit. */
  afterHandled?: (message: IncomingMessage, outcome: HandleOutcome) => Promise<void>;
  now?: () => Date;
}

export type MessageResult = HandleOutcome | 'dead_lettered';

export class ConsumerRunner {
  private readonly consumer: Consumer;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly isRetriable: (error: unknown) => boolean;
  private readonly logger: MessagingLogger;
  private readonly now: () => Date;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000 };
    this.isRetriable = options.isRetriable ?? isRetriableError;
    this.logger = options.logger ?? jsonLineLogger;
    this.now = options.now ?? (() => new Date());
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 100,
      // Read only what producers committed; OncePay's producers are not transactional, but be explicit.
      readUncommitted: false,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    for (const raw of batch.messages) {
      if (!isRunning() || isStale()) return;
      const message = toIncomingMessage(batch.topic, batch.partition, raw);
      const outcome = await this.processMessage(message, heartbeat, isRunning);
      if (outcome !== 'dead_lettered') await this.options.afterHandled?.(message, outcome);
      resolveOffset(raw.offset);
      const next = (BigInt(raw.offset) + 1n).toString();
      await commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
      });
      await heartbeat();
    }
  }

  /** Decodes and handles one message within the retry bound; never returns before it is settled. */
  async processMessage(
    message: IncomingMessage,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<MessageResult> {
    const decoded = decodeEvent(message.value);
    if (!decoded.ok) return this.deadLetter(message, `undecodable: ${decoded.reason}`, 0);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.handle(decoded.event, message);
      } catch (error) {
        const retriable = this.isRetriable(error);
        const context = {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          attempt,
          retriable,
          error: describeError(error),
        };
        if (attempt >= this.maxAttempts || !isRunning()) {
          if (retriable) {
            this.logger.warn('handler keeps failing on infrastructure; handing back to kafkajs', context);
            throw error;
          }
          return this.deadLetter(message, `handler failed: ${describeError(error)}`, attempt);
        }
        this.logger.warn('handler failed; retrying', context);
        await sleep(backoffDelayMs(this.backoff, attempt));
        await heartbeat();
      }
    }
  }

  private async deadLetter(
    message: IncomingMessage,
    reason: string,
    attempts: number,
  ): Promise<'dead_lettered'> {
    const record = deadLetterRecord(message, {
      reason,
      attempts,
      consumerGroup: this.options.groupId,
      failedAt: this.now(),
    });
    await this.options.deadLetterProducer.send([record]);
    this.logger.error('message dead-lettered', {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      reason,
      deadLetterTopic: record.topic,
    });
    return 'dead_lettered';
  }
}
