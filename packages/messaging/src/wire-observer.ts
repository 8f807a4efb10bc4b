// A read-only look at what flows on some topics, for a tool that shows the traffic (the console): a
// consumer in a group of its own that starts at the topics' ends, decodes each message with the
// contracts' codec and hands it on. ConsumerRunner does not fit: it reads a new group's topics from their
// beginning, dead-letters what it cannot decode (an observer must never write to a topic an operator
// acts on) and commits offsets after a database transaction (an observer has neither a transaction nor a
// position worth keeping). This one commits nothing: each start is a new look from "now", and each join
// of its group (a rebalance, a reconnect) resumes where it left off, never from the topics' beginning.
import { decodeEvent, type DecodeResult } from '@oncepay/contracts';
import type { Consumer, Kafka } from 'kafkajs';
import { describeError } from '@oncepay/sql';
import { METADATA_MAX_AGE_MS } from './kafka-client';
import { toIncomingMessage, type IncomingMessage } from './incoming-message';
import { jsonLineLogger, type MessagingLogger } from './logger';

/** One message as it was seen: where it sits, and the event it carries or why it carries none. */
export interface ObservedMessage {
  message: IncomingMessage;
  decoded: DecodeResult;
}

export interface WireObserverOptions {
  kafka: Kafka;
  /** A group no one else uses, so this observer receives every partition and steals none from a service. */
  groupId: string;
  topics: string[];
  /** Called in partition order for every message; must not throw (an observer has nowhere to put a failure). */
  onMessage: (observed: ObservedMessage) => void;
  logger?: MessagingLogger;
}

/** `joining` until it holds its partitions, then `running`; `failed` when kafkajs gave up on it. */
export type WireObserverState = 'joining' | 'running' | 'stopped' | 'failed';

export class WireObserver {
  private readonly consumer: Consumer;
  private readonly logger: MessagingLogger;
  private state: WireObserverState = 'joining';
  /**
   * Per `topic:partition`, the next offset to hand on: the partition's end at start, then one past the
   * last message handed on. Each join seeks there; and since the consumer reads forward, anything below it
   * (a fetch answered before a seek took effect) was handed on already, or is older than the observer.
   */
  private readonly nextOffsets = new Map<string, bigint>();
  private joinCount = 0;
  private skippedCount = 0;

  constructor(private readonly options: WireObserverOptions) {
    this.logger = options.logger ?? jsonLineLogger;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A live view: answer each fetch as soon as anything arrived.
      minBytes: 1,
      maxWaitTimeInMs: 100,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      metadataMaxAge: METADATA_MAX_AGE_MS,
      retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
    });
  }

  get status(): WireObserverState {
    return this.state;
  }

  /** Resolves once the observer has joined: every message produced after start() was called is seen. */
  async start(): Promise<void> {
    const { CRASH } = this.consumer.events;
    this.consumer.on(CRASH, ({ payload }) => {
      if (this.state === 'stopped' || payload.restart) return;
      this.state = 'failed';
      this.logger.error('wire observer stopped for good', {
        groupId: this.options.groupId,
        error: describeError(payload.error),
      });
    });
    // The group commits nothing, so each join (the first, and every one after a rebalance or reconnect)
    // would start its partitions from the beginning (below): seek them to where this observer is instead.
    // kafkajs applies a seek at the partition's next fetch, in the generation just joined.
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) =>
      this.seekOnJoin(payload.memberAssignment),
    );
    const ends = await this.topicEnds();
    await this.consumer.connect();
    for (const { topic, partition, offset } of ends)
      this.nextOffsets.set(`${topic}:${partition}`, BigInt(offset));
    // From the beginning, not "latest": a new group's "latest" is resolved at its first fetch, which a
    // message sent right after the join could precede. The seeks on join spare the read of old messages,
    // and nextOffsets drops whatever comes before them.
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: async ({ topic, partition, message }) => {
        const at = `${topic}:${partition}`;
        const offset = BigInt(message.offset);
        if (offset < (this.nextOffsets.get(at) ?? 0n)) {
          this.skippedCount += 1;
          return;
        }
        this.nextOffsets.set(at, offset + 1n);
        const incoming = toIncomingMessage(topic, partition, message);
        this.options.onMessage({ message: incoming, decoded: decodeEvent(incoming.value) });
      },
    });
    this.state = 'running';
  }

  /** Joins of its group so far: the start's, then one per rebalance or reconnect. */
  get joins(): number {
    return this.joinCount;
  }

  /** Messages read again below where it stands and not handed on: few, since each join seeks past them. */
  get skipped(): number {
    return this.skippedCount;
  }

  private seekOnJoin(assignment: Record<string, number[]>): void {
    this.joinCount += 1;
    for (const [topic, partitions] of Object.entries(assignment))
      for (const partition of partitions) {
        const next = this.nextOffsets.get(`${topic}:${partition}`);
        // A partition created after the start has no known end: read it from its beginning, all new.
        if (next !== undefined) this.consumer.seek({ topic, partition, offset: next.toString() });
      }
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    await this.consumer.disconnect();
  }

  private async topicEnds(): Promise<{ topic: string; partition: number; offset: string }[]> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      const ends = [];
      for (const topic of this.options.topics) {
        for (const { partition, high } of await admin.fetchTopicOffsets(topic))
          ends.push({ topic, partition, offset: high });
      }
      return ends;
    } finally {
      await admin.disconnect();
    }
  }
}
