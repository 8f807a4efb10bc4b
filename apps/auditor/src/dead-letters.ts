// Counts the messages in OncePay's dead-letter topics without consuming them: for each partition the
// high watermark minus the low watermark (what is still retained), summed per topic. Nothing in
// OncePay consumes a dead-letter topic, so this is what an operator has not dealt with yet.
import { deadLetterTopicOf, TOPICS } from '@oncepay/contracts';
import { createKafkaClient, type KafkaClientOptions } from '@oncepay/messaging';

/** TLS and SASL options of the Kafka client. */
export type KafkaSecurity = Pick<KafkaClientOptions, 'tls' | 'sasl'>;
import { AuditSourceError } from './snapshots';

export interface DeadLetterCount {
  topic: string;
  /** False when the broker has no such topic (no service created it yet): it counts as empty. */
  exists: boolean;
  messages: bigint;
}

/** The dead-letter topics of the three OncePay topics under `namespace` (e.g. `staging.`). */
export function deadLetterTopicsOf(namespace: string): string[] {
  return Object.values(TOPICS).map((topic) => deadLetterTopicOf(`${namespace}${topic}`));
}

export async function countDeadLetters(
  brokers: string[],
  namespace: string,
  security: KafkaSecurity = {},
): Promise<DeadLetterCount[]> {
  const location = brokers.join(',');
  const kafka = createKafkaClient({
    clientId: 'oncepay-audit',
    brokers,
    ...security,
    connectionTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new AuditSourceError('Kafka', 'connect', location, error);
  }
  try {
    const existing = new Set(await admin.listTopics());
    const counts: DeadLetterCount[] = [];
    for (const topic of deadLetterTopicsOf(namespace)) {
      if (!existing.has(topic)) {
        counts.push({ topic, exists: false, messages: 0n });
        continue;
      }
      const partitions = await admin.fetchTopicOffsets(topic);
      const messages = partitions.reduce((sum, { high, low }) => sum + (BigInt(high) - BigInt(low)), 0n);
      counts.push({ topic, exists: true, messages });
    }
    return counts;
  } catch (error) {
    throw new AuditSourceError('Kafka', 'read', location, error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
