// Counts the messages waiting in OncePay's dead-letter topics without consuming them: for each partition
// the high watermark minus the operator's cursor (`npm run dlq` moves it past what it replayed or
// discarded) or the low watermark, whichever is later, summed per topic. That is what an operator has
// not dealt with yet.
import { deadLetterTopicOf, TOPICS } from '@oncepay/contracts';
import {
  countWaitingDeadLetters,
  createKafkaClient,
  DEAD_LETTER_CURSOR_GROUP,
  type KafkaClientOptions,
} from '@oncepay/messaging';

/** TLS and SASL options of the Kafka client. */
export type KafkaSecurity = Pick<KafkaClientOptions, 'tls' | 'sasl'>;
import { AuditSourceError } from './snapshots';

export interface DeadLetterCount {
  topic: string;
  /** False when the broker has no such topic (no service created it yet): it counts as empty. */
  exists: boolean;
  /** Waiting: neither replayed nor discarded yet. */
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
    const counts = await countWaitingDeadLetters(
      admin,
      deadLetterTopicsOf(namespace),
      namespace + DEAD_LETTER_CURSOR_GROUP,
    );
    return counts.map(({ topic, exists, waiting }) => ({ topic, exists, messages: waiting }));
  } catch (error) {
    throw new AuditSourceError('Kafka', 'read', location, error);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
