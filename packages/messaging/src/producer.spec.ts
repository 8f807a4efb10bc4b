// The send's check that every partition it wrote to answered. kafkajs' retry can report a send done
// while the records of a partition whose leader moved were never sent again (see producer.ts); the
// broker-side proof is the three-broker chaos scenario, this pins the check itself: a kafkajs stand-in
// that partitions like kafkajs (through the producer's own partitioner) and answers for some partitions.
import type { Kafka, ProducerBatch, RecordMetadata } from 'kafkajs';
import { IdempotentProducer, UnacknowledgedPartitionsError, assertEveryPartitionAnswered } from './producer';
import { isInfrastructureFailure } from './publish-failure';

const TOPIC = 'oncepay.test';
const PARTITIONS = 6;
const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({
  partitionId,
  leader: partitionId % 3,
  partitionErrorCode: 0,
  replicas: [0, 1, 2],
  isr: [0, 1, 2],
}));

type Partitioner = (args: { topic: string; partitionMetadata: unknown; message: unknown }) => number;

/** A kafkajs client whose sendBatch partitions every message, then acknowledges all but `dropped`. */
function kafkaAnswering(dropped: (partition: number) => boolean): Kafka {
  return {
    producer: ({ createPartitioner }: { createPartitioner: () => Partitioner }) => {
      const partitionOf = createPartitioner();
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async ({ topicMessages }: ProducerBatch): Promise<RecordMetadata[]> => {
          const partitions = new Set<number>();
          for (const { topic, messages } of topicMessages ?? [])
            for (const message of messages)
              partitions.add(partitionOf({ topic, partitionMetadata, message }));
          return [...partitions]
            .filter((partition) => !dropped(partition))
            .map((partition) => ({ topicName: TOPIC, partition, errorCode: 0 }));
        },
      };
    },
  } as unknown as Kafka;
}

const records = Array.from({ length: 40 }, (_, i) => ({
  topic: TOPIC,
  key: `transfer-${i}`,
  value: '{}',
  headers: {},
}));

describe('IdempotentProducer: every partition written must answer', () => {
  it('resolves when Kafka acknowledged every partition the records went to', async () => {
    await expect(new IdempotentProducer(kafkaAnswering(() => false)).send(records)).resolves.toBeUndefined();
  });

  it("fails the send, as the cluster's fault, when a partition never answered", async () => {
    const producer = new IdempotentProducer(kafkaAnswering((partition) => partition === 4));

    const sent = producer.send(records);

    await expect(sent).rejects.toThrow(UnacknowledgedPartitionsError);
    await expect(sent).rejects.toThrow(`${TOPIC}/4`);
    expect(isInfrastructureFailure(await sent.catch((error: unknown) => error))).toBe(true);
  });

  it('judges each send by its own partitions only', async () => {
    const picked = new Set([`${TOPIC}/1`]);
    expect(() =>
      assertEveryPartitionAnswered(picked, [{ topicName: TOPIC, partition: 1, errorCode: 0 }]),
    ).not.toThrow();
    expect(() => assertEveryPartitionAnswered(picked, [])).toThrow(UnacknowledgedPartitionsError);
  });
});
