// POST /v1/transfers: the body, validated at the edge (the Idempotency-Key header: @oncepay/http-edge).
import { amountMinorSchema, currencyInUseSchema, idSchema } from '@oncepay/contracts';
import { z } from 'zod';

/**
 * Printable text: no control characters (NUL among them, which PostgreSQL text refuses) and no unpaired
 * UTF-16 surrogate (which is not text at all), so what a client sends is what is stored and echoed.
 */
export const referenceSchema = z
  .string()
  .min(1)
  .max(140)
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must be printable text: no control characters or unpaired surrogates');

export const requestTransferBodySchema = z
  .object({
    fromAccountId: idSchema,
    toAccountId: idSchema,
    /** A string of a positive integer in minor units, at most 2^63-1. */
    amount: amountMinorSchema,
    currency: currencyInUseSchema,
    reference: referenceSchema.optional(),
  })
  .strict()
  // Refused here, not accepted and FAILED later: nothing but the request is needed to see it.
  .refine((body) => body.fromAccountId !== body.toAccountId, {
    path: ['toAccountId'],
    message: 'must be another account than fromAccountId',
  });

export type RequestTransferBody = z.infer<typeof requestTransferBodySchema>;
