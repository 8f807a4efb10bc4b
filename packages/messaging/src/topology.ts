// Creates the topics a service uses, and their dead-letter topics, before it produces or consumes:
// the broker does not auto-create topics, so a typo fails loudly instead of inventing a topic.
import { deadLetterTopicOf } from '@oncepay/contracts';
import type { Kafka } from 'kafkajs';

export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...new Set(topics.flatMap((topic) => [topic, deadLetterTopicOf(topic)]))];
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}
