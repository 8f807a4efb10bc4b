// The only way OncePay writes to Kafka: kafkajs' idempotent producer with every option that matters
// set explicitly, and sends serialized, because concurrent `send` calls on one idempotent producer
// corrupt its sequence numbers (kafkajs issue #598).
//
// A send also checks that every partition it wrote to answered. kafkajs retries a send broker by broker
// and, on a retry, skips every broker that answered the attempt before (sendMessages.js,
// `brokersWithoutResponse`). When a broker dies and its partitions' leadership moves to a broker that
// had already answered for its own partitions, the moved partitions' records are never sent again, yet
// the send resolves: the outbox would mark them SENT and the events would be lost. Found on a
// three-broker cluster with one broker killed (test/chaos/kafka-cluster.int.spec.ts, long profile).
import {
  CompressionTypes,
  Partitioners,
  type Kafka,
  type Message,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import { METADATA_MAX_AGE_MS } from './kafka-client';

export interface ProducerRecord {
  topic: string;
  key: string;
  /** An event's JSON, or, for a dead letter and its replay, the bytes exactly as they first arrived. */
  value: string | Buffer;
  headers: Record<string, string>;
}

const MAX_WAITING_SENDS = 64;

/** A send refused because too many wait: about the sender, not the records (see isInfrastructureFailure). */
export class SendQueueFullError extends Error {
  readonly infrastructure = true;
}

/**
 * kafkajs reported a send done although partitions it wrote to never answered (see the top of this
 * file): about the cluster, not the records, and the whole send is to be repeated.
 */
export class UnacknowledgedPartitionsError extends Error {
  readonly infrastructure = true;
  constructor(readonly partitions: string[]) {
    super(`Kafka never acknowledged the records of ${partitions.join(', ')}; the send counts as failed`);
    this.name = 'UnacknowledgedPartitionsError';
  }
}

export class IdempotentProducer {
  private producer: Producer;
  /**
   * Set by a failed send. kafkajs rolls its sequence numbers back after a failed send although the
   * broker may have written the batch, and from then on every batch is OUT_OF_ORDER_SEQUENCE_NUMBER
   * until the producer is recreated (kafkajs #598, seen after a broker restart). So the next send
   * starts a new kafkajs producer, with a new producer id. A batch the broker did write goes out again
   * through the outbox relay, and the consumers' dedup drops it.
   */
  private needsNewProducer = false;
  /** Tail of the send queue: each send starts after the previous one settled. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Sends queued and not yet settled. */
  private waiting = 0;
  /** `topic/partition` the partitioner picked during the send in progress (sends are serialized). */
  private readonly picked = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly sendTimeoutMs = 30_000,
  ) {
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      // One request in flight keeps per-partition order across broker-side retries.
      maxInFlightRequests: 1,
      // Explicit murmur2 partitioning by key (the Java client's), so a transfer's events share a partition;
      // each pick is noted, so the send can check that every partition it wrote to answered.
      createPartitioner: () => {
        const partitionOf = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = partitionOf(args);
          this.picked.add(partitionLabel(args.topic, partition));
          return partition;
        };
      },
      allowAutoTopicCreation: false,
      metadataMaxAge: METADATA_MAX_AGE_MS,
      // Bounded on purpose: a send that still fails is retried later by the outbox relay, and a
      // duplicate that causes is removed by the consumers' dedup. kafkajs warns about this; it is deliberate.
      retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 5_000 },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.producer.disconnect();
  }

  /**
   * Publishes the records, acknowledged by all in-sync replicas, in order. Its callers (the outbox
   * relay, a consumer's dead-letter step) await each send, so only a few ever wait; past
   * MAX_WAITING_SENDS a caller is not waiting for its sends, and is refused rather than queued forever.
   */
  send(records: ProducerRecord[]): Promise<void> {
    if (this.waiting >= MAX_WAITING_SENDS)
      return Promise.reject(
        new SendQueueFullError(`${this.waiting} Kafka sends are already waiting; not queuing more`),
      );
    this.waiting += 1;
    const next = this.queue
      .catch(() => undefined)
      .then(() => this.sendNow(records))
      .finally(() => {
        this.waiting -= 1;
      });
    this.queue = next;
    return next;
  }

  private async sendNow(records: ProducerRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.needsNewProducer) await this.replaceProducer();
    this.picked.clear();
    try {
      const written = await this.producer.sendBatch({
        acks: -1,
        timeout: this.sendTimeoutMs,
        compression: CompressionTypes.None,
        topicMessages: groupByTopic(records),
      });
      assertEveryPartitionAnswered(this.picked, written);
    } catch (error) {
      this.needsNewProducer = true;
      throw error;
    }
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    await old.disconnect().catch(() => undefined);
    await this.producer.connect();
    this.needsNewProducer = false;
  }
}

function partitionLabel(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/**
 * Throws unless every partition the partitioner picked is among the partitions Kafka acknowledged. A
 * retry that re-partitioned (its metadata saw more partitions) may have picked one the last attempt did
 * not use: then the send is repeated needlessly, and the consumers' dedup drops the duplicates.
 */
export function assertEveryPartitionAnswered(picked: ReadonlySet<string>, written: RecordMetadata[]): void {
  const answered = new Set(written.map(({ topicName, partition }) => partitionLabel(topicName, partition)));
  const missing = [...picked].filter((label) => !answered.has(label));
  if (missing.length > 0) throw new UnacknowledgedPartitionsError(missing.sort());
}

/** Groups records per topic, keeping their relative order inside each topic. */
function groupByTopic(records: ProducerRecord[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic) ?? [];
    messages.push({ key: record.key, value: record.value, headers: record.headers });
    byTopic.set(record.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
