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

/**
 * ISO 4217 alphabetic code: three capital letters. The shape only, for events: a code accepted once must
 * decode forever, whatever the list of currencies in use says later.
 */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: three capital letters');

/**
 * The ISO 4217 codes in use, as the runtime's ICU data lists them (no `XXX`, no long-withdrawn `DEM`).
 * ICU drops a withdrawn code some years later, so a recently withdrawn one may still be listed (Node 20
 * still has `HRK`, withdrawn in 2023): this refuses what was never a currency, not what was one lately.
 * For what a client sends, where an unknown code should be refused at once rather than fail later.
 */
export const CURRENCIES_IN_USE = Intl.supportedValuesOf('currency') as [string, ...string[]];

/** A currency a client may open an account in or move money in: one of CURRENCIES_IN_USE. */
export const currencyInUseSchema = z.enum(CURRENCIES_IN_USE, {
  error: 'must be an ISO 4217 currency code in use, e.g. EUR',
});
