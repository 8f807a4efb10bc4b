// A page size from a query string. z.coerce.number() reads what Number() reads, so `0x10`, `1e1`, ` 5`
// and `5.` would pass as 16, 10, 5 and 5; a page size is written in decimal digits, and only those are
// read as a number here. Anything else stays a string and is refused as not a number.
import { z } from 'zod';

const DIGITS = /^[0-9]+$/;

/** `limit`: 1 to `max` in decimal digits, `fallback` when absent. */
export function pageLimitSchema(max: number, fallback: number) {
  return z
    .preprocess(
      (value) => (typeof value === 'string' && DIGITS.test(value) ? Number(value) : value),
      z
        .number({
          error: (issue) =>
            issue.code === 'invalid_type' ? 'Expected a whole number in decimal digits' : undefined,
        })
        .int()
        .min(1)
        .max(max),
    )
    .default(fallback);
}
