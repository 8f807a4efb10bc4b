// Creates the topics a service uses, and their dead-letter topics, before it produces or consumes:
// the broker does not auto-create topics, so a typo fails loudly instead of inventing a topic.
// Several services (or instances) may create the same topic at the same moment; the loser sees the
// topic as existing or not yet propagated, which is retried within a bound.
import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterTopicOf } from '@oncepay/contracts';
import type { Kafka } from 'kafkajs';
import { backoffDelayMs } from './backoff';
import { isRetriableError } from '@oncepay/sql';

const MAX_ATTEMPTS = 8;
const BACKOFF = { initialMs: 200, maxMs: 3_000 };

export async function ensureTopics(kafka: Kafka, topics: string[], numPartitions: number): Promise<void> {
  const wanted = [...new Set(topics.flatMap((topic) => [topic, deadLetterTopicOf(topic)]))];
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissing(kafka, wanted, numPartitions);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetriableError(error)) throw error;
      await sleep(backoffDelayMs(BACKOFF, attempt));
    }
  }
}

async function createMissing(kafka: Kafka, wanted: string[], numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      // Single-broker dev and test clusters: replication factor 1. Production sets topics up itself.
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      });
    }
    // Throws a retriable UNKNOWN_TOPIC_OR_PARTITION until every topic has leaders, whoever created it.
    await admin.fetchTopicMetadata({ topics: wanted });
  } finally {
    await admin.disconnect();
  }
}
