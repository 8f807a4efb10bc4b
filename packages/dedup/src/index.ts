// @oncepay/dedup: effectively-once processing on top of at-least-once delivery. The idempotent
// consumer (processed messages) and HTTP idempotency keys.
export {
  recordProcessed,
  recordProcessedBatch,
  recordAbsorbedDuplicates,
  purgeProcessedMessages,
  purgeAbsorbedDuplicates,
  type AbsorbedDelivery,
  type DeliveryPosition,
  type RecordProcessedOutcome,
  type PurgeProcessedMessagesOptions,
} from './processed-messages';
export {
  handleBatchOnce,
  handleOnce,
  type HandleBatchOnceOptions,
  type HandleOnceOptions,
  type HandleOnceResult,
} from './idempotent-consumer';
export { fingerprintRequest } from './request-fingerprint';
export {
  writeOnceForKey,
  answerForStoredKey,
  insertIdempotencyKey,
  insertIdempotencyKeySql,
  idempotencyKeyParams,
  purgeExpiredIdempotencyKeys,
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  type IdempotencyKeyRef,
  type KeyedWriteResult,
  type NewIdempotencyKey,
  type StoredKeyAnswer,
} from './idempotency-keys';
