// Kafka behind one door: nothing else in OncePay imports kafkajs.
export { backoffDelayMs, type BackoffPolicy } from './backoff';
export {
  CONSUMER_STATES,
  ConsumerRunner,
  DEFAULT_MAX_BATCH_SIZE,
  handleMatching,
  NOT_SETTLED,
  oneAtATime,
  type BatchEventHandler,
  type ConsumerObserver,
  type ConsumedEvent,
  type ConsumerRunnerOptions,
  type ConsumerState,
  type ConsumerStatus,
  type EventHandler,
  type HandleOutcome,
  type MessageResult,
} from './consumer-runner';
export { deadLetterRecord, DLT_HEADERS, type DeadLetter, type DeadLetterReason } from './dead-letter';
// Where the runner writes a topic's dead letters, for the packages that have no contracts of their own.
export { deadLetterTopicOf } from '@oncepay/contracts';
export {
  countWaitingDeadLetters,
  DEAD_LETTER_CURSOR_GROUP,
  formatDeadLetterRef,
  moveDeadLetterCursor,
  parseDeadLetterRef,
  readDeadLetters,
  replayRecordOf,
  REPLAY_HEADERS,
  type DeadLetterRef,
  type WaitingCount,
  type WaitingRange,
} from './dead-letter-queue';
export { type IncomingMessage } from './incoming-message';
export {
  createKafkaClient,
  METADATA_MAX_AGE_MS,
  parseBrokerList,
  SASL_MECHANISMS,
  type KafkaClientOptions,
  type KafkaSasl,
} from './kafka-client';
export {
  kafkaSecurityEnvShape,
  kafkaSecurityOf,
  kafkaSecurityRules,
  type KafkaSecurityEnv,
} from './kafka-security';
export { KafkaHealthProbe, withTimeout, type KafkaHealth } from './kafka-health';
export { jsonLineLogger, type MessagingLogger } from './logger';
export {
  enqueueEvent,
  enqueueEvents,
  enqueueRecords,
  insertOutboxRowsSql,
  outboxRowParams,
  OUTBOX_CHANNEL,
  purgeSentOutboxMessages,
  type OutboxItem,
  type OutboxRecord,
} from './outbox';
export {
  OutboxRelay,
  type OutboxPublisher,
  type OutboxRelayOptions,
  type RelayPassResult,
} from './outbox-relay';
export {
  discardParkedOutboxRow,
  listParkedOutboxRows,
  readOutboxRow,
  releaseParkedOutboxRow,
  type OutboxRowDetail,
  type OutboxRowStatus,
  type ParkedOutboxRow,
  type ParkedRowAction,
} from './outbox-parking';
export { OutboxSignal } from './outbox-signal';
export { isInfrastructureFailure } from './publish-failure';
export {
  IdempotentProducer,
  SendQueueFullError,
  UnacknowledgedPartitionsError,
  type ProducerRecord,
} from './producer';
export { ensureTopics, resolveReplication, TopologyError, type TopicLayout } from './topology';
export { startRequestSpan, traceContextOf, traceHeaders, traceIdOf, tracingOn } from './tracing';
export {
  WireObserver,
  type ObservedMessage,
  type WireObserverOptions,
  type WireObserverState,
} from './wire-observer';
