// Events cross Kafka as JSON (bigints as strings). Decoding is the edge where untrusted bytes become
// a typed event: every field is validated, and a bad message is a returned value with the reason,
// never an exception, so the consumer can dead-letter it and go on.
import { z } from 'zod';
import { envelopeHeaderSchema } from './envelope';
import {
  EVENT_TYPES,
  payloadSchemas,
  SCHEMA_VERSIONS,
  type EventOf,
  type EventType,
  type OncePayEvent,
} from './events';

export interface EncodedEvent {
  /** The Kafka message key: the transfer id. */
  key: string;
  value: string;
  /** Copies of envelope fields, so tooling can route or inspect a message without parsing it. */
  headers: Record<string, string>;
}

export type DecodeResult = { ok: true; event: OncePayEvent } | { ok: false; reason: string };

const rawEnvelopeSchema = envelopeHeaderSchema.extend({ payload: z.unknown() }).strict();

export function encodeEvent(event: OncePayEvent): EncodedEvent {
  return {
    key: event.aggregateId,
    value: JSON.stringify(event, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    ),
    headers: {
      'event-id': event.id,
      'event-type': event.type,
      'schema-version': String(event.schemaVersion),
      'correlation-id': event.correlationId,
    },
  };
}

/**
 * Strict UTF-8: bytes that are not UTF-8 are refused, not read with U+FFFD in their place, so an event
 * that decodes is exactly its text (a dead letter written as text, through an outbox, is its bytes).
 * A byte-order mark is kept, and refused by JSON.parse as before.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeEvent(value: Buffer | string | null): DecodeResult {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty message value' };
  let text: string;
  try {
    text = typeof value === 'string' ? value : UTF8.decode(value);
  } catch {
    return { ok: false, reason: 'value is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'value is not valid JSON' };
  }
  const envelope = rawEnvelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: `invalid envelope: ${describe(envelope.error)}` };
  const { type, schemaVersion } = envelope.data;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type "${type}"` };
  if (schemaVersion !== SCHEMA_VERSIONS[type]) {
    return {
      ok: false,
      reason: `unsupported schemaVersion ${schemaVersion} for ${type} (expected ${SCHEMA_VERSIONS[type]})`,
    };
  }
  const payload = payloadSchemas[type].safeParse(envelope.data.payload);
  if (!payload.success) return { ok: false, reason: `invalid ${type} payload: ${describe(payload.error)}` };
  if (payload.data.transferId !== envelope.data.aggregateId) {
    return { ok: false, reason: 'payload.transferId differs from aggregateId' };
  }
  return { ok: true, event: { ...envelope.data, type, payload: payload.data } as OncePayEvent };
}

/** Builds an event in the current schema version. Id and time come in, so callers and tests control them. */
export function createEvent<T extends EventType>(
  type: T,
  payload: EventOf<T>['payload'],
  meta: {
    id: string;
    occurredAt: Date;
    producer: string;
    sequence: number;
    correlationId: string;
    causationId: string | null;
  },
): EventOf<T> {
  const event = {
    id: meta.id,
    type,
    schemaVersion: SCHEMA_VERSIONS[type],
    occurredAt: meta.occurredAt.toISOString(),
    producer: meta.producer,
    aggregateId: payload.transferId,
    sequence: meta.sequence,
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    payload,
  };
  // TypeScript cannot narrow the union by a generic `type`; the fields above are exactly EventOf<T>'s.
  return event as unknown as EventOf<T>;
}

function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as string[]).includes(type);
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
