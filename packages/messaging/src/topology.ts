// Creates the topics a service uses, and their dead-letter topics, before it produces or consumes:
// the broker does not auto-create topics, so a typo fails loudly instead of inventing a topic.
// Several services (or instances) may create the same topic at the same moment; the loser sees the
// topic as existing or not yet propagated, which is retried within a bound.
//
// It also holds the topics to the configured layout. Partitions are raised when the configuration asks
// for more (never lowered: Kafka cannot). Replication is never rewritten: moving replicas is a
// reassignment an operator plans, so a topic whose replication factor or min.insync.replicas differs
// from an explicit setting stops the boot with the command to fix it. (kafkajs' alterConfigs replaces
// every override of a topic, not only the one named, so fixing min.insync.replicas here could silently
// drop a retention an operator set.)
import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterTopicOf, isDeadLetterTopic } from '@oncepay/contracts';
import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import { backoffDelayMs } from './backoff';
import { isRetriableError } from '@oncepay/sql';
import { jsonLineLogger, type MessagingLogger } from './logger';

const MAX_ATTEMPTS = 8;
const BACKOFF = { initialMs: 200, maxMs: 3_000 };
const MIN_ISR = 'min.insync.replicas';

/** How the topics are laid out; replication unset means derived from the cluster (see resolveReplication). */
export interface TopicLayout {
  numPartitions: number;
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

/** A layout the cluster or the existing topics cannot take: the boot must stop, retrying cannot help. */
export class TopologyError extends Error {
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

export async function ensureTopics(
  kafka: Kafka,
  topics: string[],
  layout: TopicLayout,
  logger: MessagingLogger = jsonLineLogger,
): Promise<void> {
  const wanted = [...new Set(topics.flatMap((topic) => [topic, deadLetterTopicOf(topic)]))];
  for (let attempt = 1; ; attempt++) {
    try {
      return await ensureLayout(kafka, wanted, layout, logger);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetriableError(error)) throw error;
      await sleep(backoffDelayMs(BACKOFF, attempt));
    }
  }
}

interface Replication {
  replicationFactor: number;
  minInsyncReplicas: number;
  /** True when the values came from the configuration, false when derived from the cluster size. */
  explicit: boolean;
  brokers: number;
}

/**
 * Explicit values win. Unset, they follow the brokers the cluster reports: a replication factor of
 * min(3, brokers) and min.insync.replicas one less (at least 1), i.e. 1/1 on a one-broker dev cluster
 * and 3/2 on three brokers, where acks=all survives one broker down without losing a write. Derived
 * values only shape the topics created now; existing topics are not refused for differing from them,
 * since a broker that is down at boot would change them and a broker outage must not stop a restart.
 */
export function resolveReplication(layout: TopicLayout, brokers: number): Replication {
  const explicit = layout.replicationFactor !== undefined || layout.minInsyncReplicas !== undefined;
  const replicationFactor = layout.replicationFactor ?? Math.max(1, Math.min(3, brokers));
  const minInsyncReplicas = layout.minInsyncReplicas ?? Math.max(1, replicationFactor - 1);
  if (minInsyncReplicas > replicationFactor)
    throw new TopologyError(
      `KAFKA_MIN_INSYNC_REPLICAS=${minInsyncReplicas} exceeds the replication factor ${replicationFactor}` +
        `${layout.replicationFactor === undefined ? ` (derived from the ${brokers} broker(s) of the cluster)` : ''}: ` +
        'no write with acks=all could ever succeed',
    );
  return { replicationFactor, minInsyncReplicas, explicit, brokers };
}

async function ensureLayout(
  kafka: Kafka,
  wanted: string[],
  layout: TopicLayout,
  logger: MessagingLogger,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const replication = resolveReplication(layout, brokers.length);
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) await createTopics(admin, missing, layout.numPartitions, replication, logger);
    // Throws a retriable UNKNOWN_TOPIC_OR_PARTITION until every topic has leaders, whoever created it.
    const { topics } = await admin.fetchTopicMetadata({ topics: wanted });
    await checkReplication(admin, topics, replication, logger);
    for (const { name, partitions } of topics)
      await matchPartitions(admin, name, partitions.length, layout.numPartitions, logger);
  } finally {
    await admin.disconnect();
  }
}

async function createTopics(
  admin: Admin,
  missing: string[],
  numPartitions: number,
  replication: Replication,
  logger: MessagingLogger,
): Promise<void> {
  const { replicationFactor, minInsyncReplicas, brokers } = replication;
  if (replicationFactor > brokers)
    throw new TopologyError(
      `KAFKA_REPLICATION_FACTOR=${replicationFactor} but the cluster has ${brokers} broker(s): ` +
        `cannot create ${missing.join(', ')} (set it to at most ${brokers}, or start the missing brokers)`,
    );
  await admin.createTopics({
    topics: missing.map((topic) => ({
      topic,
      numPartitions,
      replicationFactor,
      configEntries: [
        { name: MIN_ISR, value: String(minInsyncReplicas) },
        // A dead letter waits for an operator, however long that takes: the broker's default retention
        // (7 days) would delete it unread, and with it the only copy of an event whose outbox row is gone.
        ...(isDeadLetterTopic(topic) ? [{ name: 'retention.ms', value: '-1' }] : []),
      ],
    })),
  });
  logger.info('topics created', { topics: missing, numPartitions, replicationFactor, minInsyncReplicas });
}

type TopicMetadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>['topics'][number];

/** Refuses (explicit settings) or warns of (derived ones) topics whose replication differs. */
async function checkReplication(
  admin: Admin,
  topics: TopicMetadata[],
  replication: Replication,
  logger: MessagingLogger,
): Promise<void> {
  const minIsrOf = await minInsyncReplicasOf(
    admin,
    topics.map((topic) => topic.name),
  );
  const problems: string[] = [];
  for (const { name, partitions } of topics) {
    const factor = Math.max(...partitions.map((partition) => partition.replicas.length));
    if (factor !== replication.replicationFactor)
      problems.push(
        `${name} has replication factor ${factor}, not ${replication.replicationFactor} ` +
          '(KAFKA_REPLICATION_FACTOR; change it with a partition reassignment, kafka-reassign-partitions.sh)',
      );
    const minIsr = minIsrOf.get(name);
    if (minIsr !== undefined && minIsr !== replication.minInsyncReplicas)
      problems.push(
        `${name} has min.insync.replicas ${minIsr}, not ${replication.minInsyncReplicas} (KAFKA_MIN_INSYNC_REPLICAS; ` +
          `kafka-configs.sh --alter --entity-type topics --entity-name ${name} --add-config ${MIN_ISR}=${replication.minInsyncReplicas})`,
      );
  }
  if (problems.length === 0) return;
  if (replication.explicit)
    throw new TopologyError(
      `the existing topics do not match the configured replication (cluster of ${replication.brokers} broker(s)):\n  ` +
        problems.join('\n  '),
    );
  logger.warn('topics differ from the replication derived from the cluster size; kept as they are', {
    brokers: replication.brokers,
    problems,
  });
}

/** Each topic's effective min.insync.replicas (its own, or the broker default it inherits). */
async function minInsyncReplicasOf(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [MIN_ISR] })),
  });
  const values = new Map<string, number>();
  for (const resource of resources) {
    const entry = resource.configEntries.find((config) => config.configName === MIN_ISR);
    if (entry) values.set(resource.resourceName, Number(entry.configValue));
  }
  return values;
}

/**
 * Raises a topic's partitions to `wanted`. Kafka maps a key to a partition by hash modulo the count, so
 * afterwards a transfer's later events may land on another partition than its earlier ones: OncePay's
 * topics carry one event per transfer each, consumers dedup on event ids, and the transfer state machine
 * drops stale events, so no order across the change is relied on (docs/architecture.md, "Partitions").
 */
async function matchPartitions(
  admin: Admin,
  topic: string,
  current: number,
  wanted: number,
  logger: MessagingLogger,
): Promise<void> {
  if (current > wanted) {
    logger.warn('topic has more partitions than KAFKA_PARTITIONS; Kafka cannot remove partitions, kept', {
      topic,
      partitions: current,
      KAFKA_PARTITIONS: wanted,
    });
    return;
  }
  if (current === wanted) return;
  let refusal: unknown = null;
  try {
    await admin.createPartitions({ topicPartitions: [{ topic, count: wanted }] });
    logger.info('topic partitions raised', { topic, from: current, to: wanted });
  } catch (error) {
    // Another instance raised it first: Kafka refuses a count the topic already has.
    if ((error as { type?: string }).type !== 'INVALID_PARTITIONS') throw error;
    refusal = error;
  }
  await assertPartitionsShown(admin, topic, wanted, refusal);
}

/**
 * The controller answers createPartitions before the broker that answers a metadata request may show
 * the new partitions; a producer started on that lagging view would leave them without traffic until
 * its next refresh. So the boot goes on only once the metadata shows them: until then this throws a
 * retriable error, and ensureTopics tries the layout again within its bound. `refusal` is Kafka's
 * INVALID_PARTITIONS when another instance seemed to raise them first: named if they never show.
 */
async function assertPartitionsShown(
  admin: Admin,
  topic: string,
  wanted: number,
  refusal: unknown,
): Promise<void> {
  const [now] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  const seen = now?.partitions.length ?? 0;
  if (seen >= wanted) return;
  throw new PartitionsNotShownError(
    `${topic} shows ${seen} partition(s), not ${wanted}, after ` +
      (refusal === null ? 'raising them' : `Kafka refused to raise them: ${String(refusal)}`),
  );
}

/** Raised partitions the metadata does not show yet: retried by ensureTopics, like a topic not yet propagated. */
class PartitionsNotShownError extends Error {
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'PartitionsNotShownError';
  }
}
