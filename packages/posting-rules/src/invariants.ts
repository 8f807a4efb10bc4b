// Assertions for the posting rules, TigerBeetle style: a broken invariant is a bug in the caller or in
// these rules, so it throws at once instead of letting a wrong balance reach the journal. Expected
// outcomes (insufficient funds and the other rejection reasons) are never thrown; they are returned.

/** The range of a signed 64-bit integer: what the ledger's BIGINT balance and amount columns hold. */
export const MIN_INT64 = -(2n ** 63n);
export const MAX_INT64 = 2n ** 63n - 1n;

export function isInt64(value: bigint): boolean {
  return value >= MIN_INT64 && value <= MAX_INT64;
}

/** Throws when `condition` is false. For bugs only: the message says which invariant broke. */
export function assertInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`posting-rules invariant violated: ${message}`);
}
