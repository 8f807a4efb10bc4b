// The envelope every OncePay event travels in. `id` is what consumers deduplicate on; `aggregateId`
// and `sequence` let a consumer ignore an event older than the last one it applied for that transfer.
// Ids decode in lower case (idSchema), whatever case a producer wrote them in.
import { z } from 'zod';
import { idSchema } from './ids';

export const envelopeHeaderSchema = z.object({
  /** Unique per event (UUID); the idempotent consumer's key. */
  id: idSchema,
  type: z.string().min(1),
  /** Bumped on an incompatible payload change; consumers accept only versions they know. */
  schemaVersion: z.number().int().positive(),
  /** ISO-8601 instant the fact happened. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** The service that wrote the event. */
  producer: z.string().min(1),
  /** The transfer id: also the Kafka key, so one transfer's events stay on one partition, in order. */
  aggregateId: idSchema,
  /**
   * Per aggregate, increasing by one along the causal chain of a transfer. At most 2^31 - 1: the
   * transfer-service keeps it as a transfer's version, a 32-bit integer.
   */
  sequence: z
    .number()
    .int()
    .positive()
    .max(2 ** 31 - 1),
  /** The id of the request that started the chain (the HTTP request's correlation id). */
  correlationId: z.string().min(1),
  /** The id of the event that caused this one; null for the first event of a chain. */
  causationId: idSchema.nullable(),
});

export type EnvelopeHeader = z.infer<typeof envelopeHeaderSchema>;

export interface Envelope<TType extends string, TPayload> extends Omit<EnvelopeHeader, 'type'> {
  type: TType;
  payload: TPayload;
}
