// Proves ensureTopics against the real (one-broker) test cluster: topics are created with the configured
// min.insync.replicas, a replication factor the cluster cannot hold and an existing topic that differs
// from an explicit setting stop the boot with the setting and the cluster size named, a derived setting
// only warns, and raising KAFKA_PARTITIONS raises existing topics under a running consumer, which then
// consumes what lands on the new partitions: nothing is lost.
import { encodeEvent } from '@oncepay/contracts';
import { createTestKafka, sampleTransferRequested, uniqueName, waitFor } from '@oncepay/test-support';
import { ConfigResourceTypes } from 'kafkajs';
import { ConsumerRunner, oneAtATime } from './consumer-runner';
import type { MessagingLogger } from './logger';
import { IdempotentProducer } from './producer';
import { ensureTopics, TopologyError } from './topology';

/** Records what ensureTopics logs, so a test can check what it said and keep the test output clean. */
function recordingLogger() {
  const lines: { level: string; message: string; context?: Record<string, unknown> }[] = [];
  const logger: MessagingLogger = {
    info: (message, context) => lines.push({ level: 'info', message, context }),
    warn: (message, context) => lines.push({ level: 'warn', message, context }),
    error: (message, context) => lines.push({ level: 'error', message, context }),
  };
  return { logger, lines };
}

describe('ensureTopics on the real broker', () => {
  const kafka = createTestKafka();
  const admin = kafka.admin();

  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  async function layoutOf(topic: string) {
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    return {
      partitions: metadata!.partitions.length,
      replicationFactor: metadata!.partitions[0]!.replicas.length,
      minInsyncReplicas: resources[0]!.configEntries[0]!.configValue,
    };
  }

  it('creates each topic and its dead-letter topic with the layout derived from one broker', async () => {
    const topic = uniqueName('layout');
    const { logger, lines } = recordingLogger();
    await ensureTopics(kafka, [topic], { numPartitions: 2 }, logger);

    for (const name of [topic, `${topic}.dlt`])
      expect(await layoutOf(name)).toEqual({ partitions: 2, replicationFactor: 1, minInsyncReplicas: '1' });
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'topics created',
        context: expect.objectContaining({ replicationFactor: 1 }),
      }),
    ]);
  });

  it('keeps dead letters until an operator deals with them, other topics by the broker default', async () => {
    const topic = uniqueName('retention');
    await ensureTopics(kafka, [topic], { numPartitions: 1 });
    const retentionOf = async (name: string) => {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] }],
      });
      return resources[0]!.configEntries[0]!;
    };

    expect((await retentionOf(`${topic}.dlt`)).configValue).toBe('-1');
    expect((await retentionOf(topic)).configValue).not.toBe('-1');
  });

  it('refuses a replication factor above the brokers of the cluster, creating nothing', async () => {
    const topic = uniqueName('too-many-replicas');
    await expect(
      ensureTopics(kafka, [topic], { numPartitions: 1, replicationFactor: 3, minInsyncReplicas: 2 }),
    ).rejects.toThrow(/^KAFKA_REPLICATION_FACTOR=3 but the cluster has 1 broker\(s\): cannot create /);
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('refuses an existing topic whose min.insync.replicas differs from an explicit setting, and warns when derived', async () => {
    const topic = uniqueName('other-min-isr');
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, `${topic}.dlt`].map((name) => ({
        topic: name,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      })),
    });

    const refusal = ensureTopics(kafka, [topic], {
      numPartitions: 1,
      replicationFactor: 1,
      minInsyncReplicas: 1,
    });
    await expect(refusal).rejects.toThrow(TopologyError);
    await expect(refusal).rejects.toThrow(
      `${topic} has min.insync.replicas 2, not 1 (KAFKA_MIN_INSYNC_REPLICAS; kafka-configs.sh --alter`,
    );

    const { logger, lines } = recordingLogger();
    await ensureTopics(kafka, [topic], { numPartitions: 1 }, logger);
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'topics differ from the replication derived from the cluster size; kept as they are'],
    ]);
    expect((await layoutOf(topic)).minInsyncReplicas).toBe('2');
  });

  it('raises partitions under a running consumer, which consumes the new ones, and never lowers them', async () => {
    const topic = uniqueName('raised');
    await ensureTopics(kafka, [topic], { numPartitions: 1 });
    const producer = new IdempotentProducer(kafka);
    await producer.connect();
    const consumed = new Map<string, number>();
    const runner = new ConsumerRunner({
      kafka,
      groupId: uniqueName('raised-group'),
      topics: [topic],
      handleBatch: oneAtATime(async (event, message) => {
        consumed.set(event.id, message.partition);
        return 'processed';
      }),
      deadLetterProducer: producer,
    });
    try {
      await runner.start();
      const send = (count: number) =>
        producer.send(
          Array.from({ length: count }, () => ({ topic, ...encodeEvent(sampleTransferRequested()) })),
        );
      await send(20);

      const { logger, lines } = recordingLogger();
      await ensureTopics(kafka, [topic], { numPartitions: 4 }, logger);
      expect(lines.filter((line) => line.message === 'topic partitions raised')).toHaveLength(2);
      expect((await layoutOf(topic)).partitions).toBe(4);

      // A new producer sees the four partitions at once; the running consumer within METADATA_MAX_AGE_MS.
      const fresh = new IdempotentProducer(kafka);
      await fresh.connect();
      const events = Array.from({ length: 80 }, () => encodeEvent(sampleTransferRequested()));
      await fresh.send(events.map((event) => ({ topic, ...event })));
      await fresh.disconnect();
      await send(20);

      await waitFor(
        () => Promise.resolve(consumed.size),
        (n) => n === 120,
        { timeoutMs: 120_000, intervalMs: 250, what: '120 events consumed' },
      );
      const partitions = new Set(events.map((event) => consumed.get(event.headers['event-id'] ?? '')));
      expect(partitions).toEqual(new Set([0, 1, 2, 3]));

      const { logger: later, lines: warned } = recordingLogger();
      await ensureTopics(kafka, [topic], { numPartitions: 2 }, later);
      expect(warned.map((line) => line.message)).toEqual([
        'topic has more partitions than KAFKA_PARTITIONS; Kafka cannot remove partitions, kept',
        'topic has more partitions than KAFKA_PARTITIONS; Kafka cannot remove partitions, kept',
      ]);
      expect((await layoutOf(topic)).partitions).toBe(4);
    } finally {
      await runner.stop();
      await producer.disconnect();
    }
  }, 180_000);
});
