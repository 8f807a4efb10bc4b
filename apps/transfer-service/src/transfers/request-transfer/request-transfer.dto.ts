// POST /v1/transfers: the body, validated at the edge (the Idempotency-Key header: @oncepay/http-edge).
import { amountMinorSchema, currencyInUseSchema, idSchema } from '@oncepay/contracts';
import { z } from 'zod';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Printable text: no control characters (NUL among them, which PostgreSQL text refuses) and no unpaired
 * UTF-16 surrogate (which is not text at all), so what a client sends is what is stored and echoed.
 */
export const referenceSchema = z
  .string()
  .min(1)
  .max(140)
  // Without the u flag, so the pattern reads the same in the OpenAPI document and in any client.
  // eslint-disable-next-line no-control-regex -- the pattern exists to name the control characters it refuses
  .regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, 'must be printable text: no control characters')
  .refine((value) => !UNPAIRED_SURROGATE.test(value), 'must be text: no unpaired UTF-16 surrogates');

/** The longest a hold may last: 30 days, as card authorizations. */
export const MAX_HOLD_SECONDS = 30 * 24 * 60 * 60;

export const holdSchema = z
  .object({
    /** Seconds from acceptance until the hold can no longer be captured and is released. */
    expiresInSeconds: z.int().min(1).max(MAX_HOLD_SECONDS),
  })
  .strict()
  .meta({
    description:
      'Makes the transfer a hold: the ledger reserves the amount; capture it (in full or in part) or ' +
      'void it before it expires, or the system releases it',
  });

export const requestTransferBodySchema = z
  .object({
    fromAccountId: idSchema,
    toAccountId: idSchema,
    /** A string of a positive integer in minor units, at most 2^63-1. */
    amount: amountMinorSchema,
    currency: currencyInUseSchema,
    reference: referenceSchema.optional(),
    hold: holdSchema.optional(),
  })
  .strict()
  // Refused here, not accepted and FAILED later: nothing but the request is needed to see it.
  .refine((body) => body.fromAccountId !== body.toAccountId, {
    path: ['toAccountId'],
    message: 'must be another account than fromAccountId',
  });

export type RequestTransferBody = z.infer<typeof requestTransferBodySchema>;
