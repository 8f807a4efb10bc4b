// POST /v1/transfers: the body and the Idempotency-Key header, validated at the edge.
import { amountMinorSchema, currencySchema, idSchema } from '@oncepay/contracts';
import { z } from 'zod';

export const requestTransferBodySchema = z
  .object({
    fromAccountId: idSchema,
    toAccountId: idSchema,
    /** A string of a positive integer in minor units, at most 2^63-1. */
    amount: amountMinorSchema,
    currency: currencySchema,
    reference: z.string().min(1).max(140).optional(),
  })
  .strict();

export type RequestTransferBody = z.infer<typeof requestTransferBodySchema>;

/** Visible ASCII, up to 255 characters: room for a UUID or any client-side scheme. */
export const idempotencyKeySchema = z
  .string({ error: 'the Idempotency-Key header is required' })
  .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1 to 255 visible ASCII characters');
