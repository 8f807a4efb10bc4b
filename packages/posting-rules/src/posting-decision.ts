// The types the posting rules speak: what the ledger knows about an account when it decides, and what
// it writes when a transfer posts. Plain data, so ledger-service maps its rows to and from them.
import { assertNever } from '@oncepay/contracts';
import type { RejectionReason } from '@oncepay/contracts';

/** An account as read (under a row lock) by the ledger before deciding. */
export interface AccountSnapshot {
  id: string;
  /** The API client that opened the account: the only client that may debit it. */
  ownerClientId: string;
  /** ISO 4217 code; an account holds one currency for life. */
  currency: string;
  /** The posted balance: the sum of the account's journal entries. */
  balanceMinor: bigint;
  /**
   * The sum of the account's ACTIVE holds: money reserved, not yet posted. Every debit and every new
   * hold is checked against the available balance, `balanceMinor - heldMinor` (see `availableMinor`).
   */
  heldMinor: bigint;
  /** Treasury and settlement accounts: money enters the system by debiting them below zero. */
  allowNegativeBalance: boolean;
}

/** What the account can still spend: its posted balance less what its active holds reserve. */
export function availableMinor(account: AccountSnapshot): bigint {
  return account.balanceMinor - account.heldMinor;
}

/** DEBIT lowers the account's balance, CREDIT raises it. */
export type EntryDirection = 'DEBIT' | 'CREDIT';

/** One journal line to append. The journal is append-only; a posting is always a DEBIT/CREDIT pair. */
export interface JournalEntryDraft {
  transferId: string;
  accountId: string;
  /** Always positive; `direction` gives the sign (see `signedAmountMinor`). */
  amountMinor: bigint;
  direction: EntryDirection;
  currency: string;
  postedAt: Date;
}

/**
 * The ledger's answer to one transfer request:
 * - `post`: write `entries` (the DEBIT on the from account, then the CREDIT on the to account) and set
 *   both balances to `balancesAfter` (minor units), in one transaction.
 * - `reject`: write nothing to the journal; publish TransferRejected with `reason`. The codes, checked
 *   in this order (the first that applies wins):
 *   1. `SAME_ACCOUNT`: from and to are the same account id.
 *   2. `ACCOUNT_NOT_FOUND`: the from account does not exist, or was opened by another client (only
 *      its owner debits it; anyone may be credited), which looks the same to the requesting client.
 *   3. `CURRENCY_MISMATCH`: the from account holds another currency than the request.
 *   4. `INSUFFICIENT_FUNDS`: the debit would take the AVAILABLE balance (posted less held, see
 *      `availableMinor`) of an account without allowNegativeBalance below zero.
 *   5. `ACCOUNT_NOT_FOUND`: the to account does not exist, or is another client's and holds another
 *      currency than the request. Decided after the payer's side, so that side's answer never
 *      depends on whether the payee exists.
 *   6. `CURRENCY_MISMATCH`: the client's own to account holds another currency.
 *   7. `BALANCE_OUT_OF_RANGE`: either balance (or, for a hold, the payer's held amount) would leave
 *      the signed 64-bit range the ledger stores.
 *   8. `REFUND_EXCEEDS_PAYMENT` (a refund only, see `decideRefundPosting`): the refund does not pay
 *      back its payment (other accounts or currency), or it would take the refunds posted for the
 *      payment past what the payment's DEBIT entry moved.
 * `ACCOUNT_NOT_OWNED` is no longer decided: it told a client that another client's account exists.
 * `UNPROCESSABLE` is not decided here: the ledger's consumer rejects with it a request it dead-letters.
 */
export type PostingDecision =
  | {
      outcome: 'post';
      entries: [JournalEntryDraft, JournalEntryDraft];
      balancesAfter: { from: bigint; to: bigint };
    }
  | { outcome: 'reject'; reason: RejectionReason };

/**
 * What the ledger posted for the payment a refund pays back, read under the locks of its two accounts:
 * the payment's DEBIT (its payer, amount and currency), its payee, and the sum of the refunds of it
 * POSTED so far. A captured hold counts as the payment of its captured amount.
 */
export interface RefundablePayment {
  payerAccountId: string;
  payeeAccountId: string;
  currency: string;
  paidMinor: bigint;
  refundedMinor: bigint;
}

/** The entry's effect on its account's balance: negative for a DEBIT, positive for a CREDIT. */
export function signedAmountMinor(entry: JournalEntryDraft): bigint {
  switch (entry.direction) {
    case 'DEBIT':
      return -entry.amountMinor;
    case 'CREDIT':
      return entry.amountMinor;
    default:
      return assertNever(entry.direction);
  }
}
