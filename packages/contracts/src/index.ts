// OncePay's contracts: the envelope, every event, their topics, the codec that validates what arrives
// from Kafka, the ids OncePay mints and the names the transfer trail's two ends share. Plain TypeScript
// and zod; no framework, ORM or broker code.
export { assertNever } from './assert-never';
export { createEvent, decodeEvent, encodeEvent, type DecodeResult, type EncodedEvent } from './codec';
export { envelopeHeaderSchema, type Envelope, type EnvelopeHeader } from './envelope';
export {
  EVENT_TYPES,
  payloadSchemas,
  REJECTION_REASONS,
  rejectionReasonSchema,
  SCHEMA_VERSIONS,
  type EventOf,
  type EventType,
  type OncePayEvent,
  type PayloadOf,
  type RejectionReason,
  type TransferCompleted,
  type TransferFacts,
  type TransferFailed,
  type TransferPosted,
  type TransferRejected,
  type TransferRequested,
  type HoldPlaced,
  type CaptureRequested,
  type HoldCaptured,
  type TransferCaptured,
  type ReleaseRequested,
  type HoldReleased,
  type TransferVoided,
  type TransferExpired,
  RELEASES,
  releaseSchema,
  type Release,
} from './events';
export { accountIdFor, idSchema, newId } from './ids';
export {
  amountMinorSchema,
  CURRENCIES_IN_USE,
  currencyInUseSchema,
  currencySchema,
  MAX_AMOUNT_MINOR,
} from './money';
export { deadLetterTopicOf, isDeadLetterTopic, sourceTopicOf, TOPIC_OF, TOPICS, type Topic } from './topics';
export { TRAIL_MARKS, TRAIL_SERVICES, type TrailMark, type TrailService } from './trail';
