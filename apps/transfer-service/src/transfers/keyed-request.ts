// What every POST of the transfer API does with its Idempotency-Key at the HTTP edge: requires and
// validates it, and answers an accepted or replayed request the same way (its status, the Location
// of the transfer it names, `Idempotent-Replayed` on a replay).
import type { StoredKeyAnswer } from '@oncepay/dedup';
import { idempotencyKeySchema, ProblemException, ZodValidationPipe } from '@oncepay/http-edge';
import type { FastifyReply } from 'fastify';
import { transferLocation } from './transfer.resource';

const validateKey = new ZodValidationPipe(idempotencyKeySchema, 'Idempotency-Key');

/** The validated Idempotency-Key header; 400 IDEMPOTENCY_KEY_REQUIRED without one. */
export function requireIdempotencyKey(header: string | undefined): string {
  if (header === undefined) {
    throw new ProblemException(
      400,
      'IDEMPOTENCY_KEY_REQUIRED',
      'The Idempotency-Key header is required',
      'Send a unique key per request; retry with the same key.',
    );
  }
  return validateKey.transform(header);
}

/** A keyed request's answer: accepted now, replayed from its key, or the key taken by another request. */
export type KeyedAnswer =
  | { outcome: 'accepted'; status: number; body: unknown }
  | { outcome: 'replayed'; status: number; body: unknown }
  | { outcome: 'key_reused_with_other_request' };

/** Sets the status and headers of `answer` on `response` and returns its body; 422 for a reused key. */
export function answerKeyed(answer: KeyedAnswer, response: FastifyReply): unknown {
  if (answer.outcome === 'key_reused_with_other_request') {
    throw new ProblemException(
      422,
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with a different request',
      'Use a new key for a new request.',
    );
  }
  void response.status(answer.status);
  const id = (answer.body as { id?: unknown }).id;
  if (typeof id === 'string') void response.header('Location', transferLocation(id));
  if (answer.outcome === 'replayed') void response.header('Idempotent-Replayed', 'true');
  return answer.body;
}

/**
 * A stored key's answer: its replay, or the key taken by another request. `absent` is not an answer:
 * it is asked for only where a key is known to be stored (a failed insert of it), so it is a bug.
 */
export function keyedAnswerOf(stored: StoredKeyAnswer): KeyedAnswer {
  switch (stored.outcome) {
    case 'replay':
      return { outcome: 'replayed', status: stored.status, body: stored.body };
    case 'fingerprint_mismatch':
      return { outcome: 'key_reused_with_other_request' };
    case 'absent':
      throw new Error('an idempotency key that could not be inserted is not stored');
  }
}
