// Topic names, in one place. Every event is keyed by its transfer id (the envelope's aggregateId),
// so all events of one transfer land on one partition, in order.
import type { EventType } from './events';

export const TOPICS = {
  /** transfer-service -> ledger-service: TransferRequested, and a hold's CaptureRequested, ReleaseRequested. */
  transferRequests: 'oncepay.transfer-requests.v1',
  /** ledger-service -> transfer-service: TransferPosted, TransferRejected, HoldPlaced, HoldCaptured, HoldReleased. */
  ledgerResults: 'oncepay.ledger-results.v1',
  /**
   * transfer-service -> notification-service (and anyone else), the final words: TransferCompleted,
   * TransferFailed, TransferCaptured, TransferVoided, TransferExpired.
   */
  transferOutcomes: 'oncepay.transfer-outcomes.v1',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Where each event type is published. */
export const TOPIC_OF: Record<EventType, Topic> = {
  TransferRequested: TOPICS.transferRequests,
  CaptureRequested: TOPICS.transferRequests,
  ReleaseRequested: TOPICS.transferRequests,
  TransferPosted: TOPICS.ledgerResults,
  TransferRejected: TOPICS.ledgerResults,
  HoldPlaced: TOPICS.ledgerResults,
  HoldCaptured: TOPICS.ledgerResults,
  HoldReleased: TOPICS.ledgerResults,
  TransferCompleted: TOPICS.transferOutcomes,
  TransferFailed: TOPICS.transferOutcomes,
  TransferCaptured: TOPICS.transferOutcomes,
  TransferVoided: TOPICS.transferOutcomes,
  TransferExpired: TOPICS.transferOutcomes,
};

const DEAD_LETTER_SUFFIX = '.dlt';

/** A consumer group's dead letters for a topic: poison or invalid messages, with the reason in headers. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/** Whether `topic` is a dead-letter topic (deadLetterTopicOf's), with or without a namespace. */
export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DEAD_LETTER_SUFFIX);
}

/** The topic whose dead letters `topic` holds when it is a dead-letter topic; `topic` itself otherwise. */
export function sourceTopicOf(topic: string): string {
  return isDeadLetterTopic(topic) ? topic.slice(0, -DEAD_LETTER_SUFFIX.length) : topic;
}
