// A message that cannot be processed goes to its topic's dead-letter topic, byte for byte, with its
// original headers and the reason, so it is never lost and an operator can inspect or replay it.
import { deadLetterTopicOf } from '@oncepay/contracts';
import type { IncomingMessage } from './incoming-message';
import type { ProducerRecord } from './producer';

export interface DeadLetterReason {
  reason: string;
  consumerGroup: string;
  attempts: number;
  failedAt: Date;
}

export const DLT_HEADERS = {
  reason: 'x-dlt-reason',
  originalTopic: 'x-dlt-original-topic',
  originalPartition: 'x-dlt-original-partition',
  originalOffset: 'x-dlt-original-offset',
  consumerGroup: 'x-dlt-consumer-group',
  attempts: 'x-dlt-attempts',
  failedAt: 'x-dlt-failed-at',
} as const;

/** A dead letter as it is sent: to `<topic>.dlt`, its value the bytes that arrived, not a decoding of them. */
export type DeadLetter = ProducerRecord & { value: Buffer };

export function deadLetterRecord(message: IncomingMessage, why: DeadLetterReason): DeadLetter {
  return {
    topic: deadLetterTopicOf(message.topic),
    key: message.key ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: {
      ...message.headers,
      [DLT_HEADERS.reason]: why.reason,
      [DLT_HEADERS.originalTopic]: message.topic,
      [DLT_HEADERS.originalPartition]: String(message.partition),
      [DLT_HEADERS.originalOffset]: message.offset,
      [DLT_HEADERS.consumerGroup]: why.consumerGroup,
      [DLT_HEADERS.attempts]: String(why.attempts),
      [DLT_HEADERS.failedAt]: why.failedAt.toISOString(),
    },
  };
}
