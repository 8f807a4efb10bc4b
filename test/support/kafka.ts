// Gives each test file topics of its own on the real broker, so consumers never see another file's messages.
import { randomBytes } from 'node:crypto';
import { createKafkaClient } from '@oncepay/messaging';
import { testEnv } from './env';

/** A name unique to this call, e.g. `test.3f9a1c.transfers`. */
export function uniqueName(base: string): string {
  return `test.${randomBytes(4).toString('hex')}.${base}`;
}

export function createTestKafka(clientId = uniqueName('client')): ReturnType<typeof createKafkaClient> {
  return createKafkaClient({ clientId, brokers: testEnv.kafkaBrokers });
}

/** Creates the topics (and waits for their leaders) before a test produces to them. */
export async function createTestTopics(topics: string[], numPartitions = 3): Promise<void> {
  const admin = createTestKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}
