// Whose fault a failed Kafka send is: the broker's (unreachable, timing out, electing a leader, short of
// in-sync replicas: the same send succeeds once it is back) or the records' (a topic that does not
// exist, a record larger than the broker accepts: no retry helps). The outbox relay backs off as a
// whole on the first and charges the row on the second, so a broker outage never parks a row.
//
// kafkajs' own `retriable` flag cannot decide it: its producer wraps every failure it gave up on in a
// KafkaJSNumberOfRetriesExceeded, which says `retriable: false` for a broker that is down, and it calls
// UNKNOWN_TOPIC_OR_PARTITION retriable although a topic missing after boot (topics are ensured then)
// stays missing. So the cause chain is walked and each error judged by its class or protocol error type.

import { NETWORK_ERROR_CODES } from '@oncepay/sql';

/** kafkajs error classes (their `name`) that mean the broker or the connection failed, not the records. */
const INFRASTRUCTURE_ERROR_NAMES = new Set([
  // kafkajs' base class, thrown as such only for a disconnected producer and invalid partition metadata.
  'KafkaJSError',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  // Credentials the cluster refused: every row alike (see the authorization errors below).
  'KafkaJSSASLAuthenticationError',
]);

/** Kafka protocol errors (kafkajs' `type`) of a cluster that is restarting, electing or short of replicas. */
const INFRASTRUCTURE_PROTOCOL_ERRORS = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'CORRUPT_MESSAGE',
  // The producer's sequence state after an earlier failure: IdempotentProducer starts a new producer.
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'CONCURRENT_TRANSACTIONS',
  // Credentials, ACLs and quotas: an operator's change (a rotation, a missing grant) that every row meets
  // alike; the whole relay waits for the fix instead of parking each transfer's first row.
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'ILLEGAL_SASL_STATE',
  'UNSUPPORTED_SASL_MECHANISM',
  'THROTTLING_QUOTA_EXCEEDED',
]);

/** How deep the cause chain is followed; kafkajs nests two or three levels. */
const MAX_CAUSE_DEPTH = 8;

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  code?: unknown;
  cause?: unknown;
  /** Set by OncePay's own errors that are about the sender, not the records (a full send queue). */
  infrastructure?: unknown;
}

/** True when the failed send says nothing about the records: the same send can succeed later. */
export function isInfrastructureFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Object; depth++) {
    const candidate = current as ErrorLike;
    if (candidate.infrastructure === true) return true;
    if (typeof candidate.name === 'string' && INFRASTRUCTURE_ERROR_NAMES.has(candidate.name)) return true;
    if (typeof candidate.type === 'string' && INFRASTRUCTURE_PROTOCOL_ERRORS.has(candidate.type)) return true;
    if (typeof candidate.code === 'string' && NETWORK_ERROR_CODES.has(candidate.code)) return true;
    current = candidate.cause;
  }
  return false;
}
