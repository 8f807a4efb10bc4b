// Proves the Kafka client OncePay builds really produces to and consumes from the broker started by
// `npm test`, with the idempotent producer settings the project relies on, and that the health probe sees it.
import { createTestKafka, createTestTopics, uniqueName } from '@oncepay/test-support';
import { KafkaHealthProbe } from './kafka-health';

describe('Kafka client against the real broker', () => {
  const topic = uniqueName('smoke');
  const kafka = createTestKafka();

  beforeAll(() => createTestTopics([topic]));

  it('delivers every produced message to a consumer group, in order per key', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `m${i}` }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const received: { key: string; value: string }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const allReceived = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: String(message.key), value: String(message.value) });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await allReceived;
    await consumer.disconnect();

    expect(received).toHaveLength(sent.length);
    for (const key of ['k0', 'k1', 'k2', 'k3']) {
      const inOrder = sent.filter((m) => m.key === key).map((m) => m.value);
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(inOrder);
    }
  });

  it('reports the broker as healthy', async () => {
    const probe = new KafkaHealthProbe(kafka);
    try {
      await expect(probe.check()).resolves.toEqual(expect.objectContaining({ brokerCount: 1 }));
    } finally {
      await probe.close();
    }
  });
});
