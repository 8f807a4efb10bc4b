// The Idempotency-Key request header, one rule for every operation that takes it: one unique key per
// intended operation, scoped to the calling client, so a retry with the same key is the same operation.
import { z } from 'zod';

/** Visible ASCII, up to 255 characters: room for a UUID or any client-side scheme. */
export const idempotencyKeySchema = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1 to 255 visible ASCII characters');
