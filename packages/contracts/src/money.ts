// Money on the wire is a string of integer minor units; in code it is a bigint. Never a float.
import { z } from 'zod';

/** The largest amount a BIGINT column holds: 2^63 - 1 minor units. */
export const MAX_AMOUNT_MINOR = 2n ** 63n - 1n;

/** A positive integer amount in minor units, as a decimal string with no sign, fraction or leading zero. */
export const amountMinorSchema = z
  .string()
  // `abort`: zod runs later checks after a failed one, and BigInt() would throw on "10.5".
  .regex(/^[1-9][0-9]*$/, {
    message: 'must be a positive integer number of minor units, as a string',
    abort: true,
  })
  .refine((value) => BigInt(value) <= MAX_AMOUNT_MINOR, 'must be at most 9223372036854775807')
  .transform((value) => BigInt(value));

/** ISO 4217 alphabetic code: three capital letters. */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: three capital letters');
