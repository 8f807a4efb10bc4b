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

/**
 * A posting that would move a balance outside the signed 64-bit range the ledger stores.
 *
 * Not a bug in the request (amounts are at most 2^63-1 each, so a run of valid transfers can reach
 * it), but `RejectionReason` in @oncepay/contracts has no code for it, and reusing one that does not
 * fit (INSUFFICIENT_FUNDS) would tell the client something false. So it is thrown, not returned: the
 * ledger must not post, and its consumer treats it as non-retriable (retrying computes the same sum).
 * With balances starting at zero it needs accumulated balances beyond 9.2 * 10^18 minor units. If it
 * must become a client-visible outcome, add a code to REJECTION_REASONS and return it from here.
 */
export class BalanceOutOfRangeError extends Error {
  override readonly name = 'BalanceOutOfRangeError';
  /** The same request on the same balances fails the same way. */
  readonly retriable = false;

  constructor(
    readonly context: {
      transferId: string;
      accountId: string;
      direction: 'DEBIT' | 'CREDIT';
      balanceMinor: bigint;
      amountMinor: bigint;
      /** The balance the posting would leave, outside [MIN_INT64, MAX_INT64]. */
      resultMinor: bigint;
    },
  ) {
    super(
      `transfer ${context.transferId}: ${context.direction} of ${context.amountMinor} on account ` +
        `${context.accountId} (balance ${context.balanceMinor}) would leave ${context.resultMinor}, ` +
        `outside the signed 64-bit balance range`,
    );
  }
}
