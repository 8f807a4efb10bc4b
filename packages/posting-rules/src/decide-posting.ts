// The ledger's posting rules: whether a transfer request (a payment or a refund) posts, and if so its
// two journal entries and the balances they leave. Pure (no I/O, no clock: `now` comes in), so ledger-service calls it inside
// its transaction, after locking both account rows, and tests can run it millions of times.
import { MAX_AMOUNT_MINOR, type RejectionReason, type TransferFacts } from '@oncepay/contracts';
import { assertInvariant, isInt64 } from './invariants';
import {
  availableMinor,
  signedAmountMinor,
  type AccountSnapshot,
  type RefundablePayment,
  type EntryDirection,
  type JournalEntryDraft,
  type PostingDecision,
} from './posting-decision';

/**
 * Decides the transfer `request` against the two account snapshots (`null` when the account does not
 * exist). Rejections are returned in the documented order of `PostingDecision`; a post is one DEBIT on
 * the from account and one CREDIT on the to account for the request's amount, both at `now`.
 *
 * Throws only for bugs (a request the contract codec would have refused, a snapshot of another account,
 * a balance outside 64 bits).
 */
export function decidePosting(
  request: TransferFacts,
  accounts: { from: AccountSnapshot | null; to: AccountSnapshot | null },
  now: Date,
): PostingDecision {
  assertPreconditions(request, accounts, now);
  const checked = checkTransferRules(request, accounts, 0n);
  return checked.outcome === 'reject' ? checked : post(request, checked.from, checked.to, now);
}

/**
 * Decides a refund (`request.refundOf` set) like a payment, then against the payment it pays back:
 * `payment` is what the ledger posted for it (null when it never posted) with the sum of the refunds
 * of it posted so far. A refund must reverse the payment (from its payee to its payer, in its
 * currency) and, with those refunds, not exceed the payment's DEBIT; else REFUND_EXCEEDS_PAYMENT.
 */
export function decideRefundPosting(
  request: TransferFacts,
  accounts: { from: AccountSnapshot | null; to: AccountSnapshot | null },
  payment: RefundablePayment | null,
  now: Date,
): PostingDecision {
  assertInvariant(request.refundOf !== undefined, `transfer ${request.transferId}: not a refund`);
  assertInvariant(
    payment === null || (payment.paidMinor > 0n && payment.refundedMinor >= 0n),
    `refund ${request.transferId}: payment ${request.refundOf} paid ${payment?.paidMinor}, refunded ${payment?.refundedMinor}`,
  );
  const decision = decidePosting(request, accounts, now);
  if (decision.outcome === 'reject') return decision;
  const reverses =
    payment !== null &&
    payment.payerAccountId === request.toAccountId &&
    payment.payeeAccountId === request.fromAccountId &&
    payment.currency === request.currency;
  if (!reverses || payment.refundedMinor + request.amountMinor > payment.paidMinor) {
    return reject('REFUND_EXCEEDS_PAYMENT');
  }
  return decision;
}

/**
 * The rules every debit runs, in the order `PostingDecision` documents: a payment, a refund, a hold.
 * `addedHeldMinor` is what the request would add to the payer's held amount (a hold's amount; 0 for
 * a posting), so the range rule covers it too. Used by decidePosting and decideHold.
 */
export function checkTransferRules(
  request: TransferFacts,
  accounts: { from: AccountSnapshot | null; to: AccountSnapshot | null },
  addedHeldMinor: bigint,
):
  | { outcome: 'ok'; from: AccountSnapshot; to: AccountSnapshot }
  | { outcome: 'reject'; reason: RejectionReason } {
  if (request.fromAccountId === request.toAccountId) return reject('SAME_ACCOUNT');
  const { from, to } = accounts;
  // A client learns nothing about accounts it does not own. So the payer's own side is decided first
  // (an account it cannot debit looks exactly like a missing one), and only then the payee: a failure
  // on the payer's side must not depend on whether the payee exists. Another client's account that
  // cannot take this credit (another currency) looks missing too. Only a credit that posts tells the
  // payer the account exists, which paying into it has to; so does a hold that is placed, which checks
  // its payee now so the capture can post, and can be voided at no cost. An account id is a hash of the
  // client that opened it and its key (contracts' accountIdFor): only a client told an id can ask.
  if (from === null || from.ownerClientId !== request.clientId) return reject('ACCOUNT_NOT_FOUND');
  if (from.currency !== request.currency) return reject('CURRENCY_MISMATCH');
  // Against the AVAILABLE balance: money an active hold reserved cannot be spent twice. An account
  // already below zero without allowNegativeBalance (the flag turned off later) refuses every debit
  // here but still accepts credits, which is how it gets back to zero.
  if (availableMinor(from) - request.amountMinor < 0n && !from.allowNegativeBalance) {
    return reject('INSUFFICIENT_FUNDS');
  }
  if (to === null) return reject('ACCOUNT_NOT_FOUND');
  if (to.currency !== request.currency)
    return reject(to.ownerClientId === request.clientId ? 'CURRENCY_MISMATCH' : 'ACCOUNT_NOT_FOUND');
  // Only reachable by balances beyond 9.2 * 10^18 minor units, but a run of valid transfers can get
  // there: refused like any other outcome, so the transfer ends FAILED instead of waiting forever.
  // The database computes the payer's available balance (balance - held) on every write, so that must
  // stay in range too: a treasury account far below zero with money on hold could leave it.
  const debitedMinor = addedHeldMinor === 0n ? request.amountMinor : 0n;
  if (
    !isInt64(from.balanceMinor - request.amountMinor) ||
    !isInt64(to.balanceMinor + request.amountMinor) ||
    !isInt64(from.heldMinor + addedHeldMinor) ||
    !isInt64(from.balanceMinor - debitedMinor - (from.heldMinor + addedHeldMinor))
  ) {
    return reject('BALANCE_OUT_OF_RANGE');
  }
  return { outcome: 'ok', from, to };
}

function reject(reason: RejectionReason): { outcome: 'reject'; reason: RejectionReason } {
  return { outcome: 'reject', reason };
}

function post(
  request: TransferFacts,
  from: AccountSnapshot,
  to: AccountSnapshot,
  now: Date,
): PostingDecision {
  const debit = entryOf(request, from.id, 'DEBIT', now);
  const credit = entryOf(request, to.id, 'CREDIT', now);
  const balancesAfter = { from: balanceAfter(from, debit), to: balanceAfter(to, credit) };

  assertInvariant(
    signedAmountMinor(debit) + signedAmountMinor(credit) === 0n,
    `transfer ${request.transferId}: debits and credits differ`,
  );
  assertInvariant(
    balancesAfter.from + balancesAfter.to === from.balanceMinor + to.balanceMinor,
    `transfer ${request.transferId}: the posting changes the sum of the two balances`,
  );
  assertInvariant(
    from.allowNegativeBalance || balancesAfter.from - from.heldMinor >= 0n,
    `transfer ${request.transferId}: account ${from.id} would have an available balance below zero without allowNegativeBalance`,
  );
  return { outcome: 'post', entries: [debit, credit], balancesAfter };
}

function entryOf(
  request: TransferFacts,
  accountId: string,
  direction: EntryDirection,
  now: Date,
): JournalEntryDraft {
  return {
    transferId: request.transferId,
    accountId,
    amountMinor: request.amountMinor,
    direction,
    currency: request.currency,
    // A copy per entry: neither the caller's Date nor the other entry's can change this one.
    postedAt: new Date(now.getTime()),
  };
}

/** The account's balance after `entry`; decidePosting has refused any that its BIGINT column cannot hold. */
function balanceAfter(account: AccountSnapshot, entry: JournalEntryDraft): bigint {
  const resultMinor = account.balanceMinor + signedAmountMinor(entry);
  assertInvariant(isInt64(resultMinor), `account ${account.id} would leave the signed 64-bit range`);
  return resultMinor;
}

/** What the contract codec and the ledger's repository guarantee; breaking any of it is a bug upstream. */
export function assertPreconditions(
  request: TransferFacts,
  accounts: { from: AccountSnapshot | null; to: AccountSnapshot | null },
  now: Date,
): void {
  assertInvariant(
    request.amountMinor > 0n && request.amountMinor <= MAX_AMOUNT_MINOR,
    `transfer ${request.transferId}: amountMinor ${request.amountMinor} is outside 1..2^63-1`,
  );
  assertInvariant(!Number.isNaN(now.getTime()), `transfer ${request.transferId}: now is an invalid Date`);
  assertSnapshotOf(accounts.from, request.fromAccountId, request.transferId);
  assertSnapshotOf(accounts.to, request.toAccountId, request.transferId);
}

function assertSnapshotOf(account: AccountSnapshot | null, accountId: string, transferId: string): void {
  if (account === null) return;
  assertInvariant(
    account.id === accountId,
    `transfer ${transferId}: got the snapshot of account ${account.id} for account ${accountId}`,
  );
  assertInvariant(
    isInt64(account.balanceMinor),
    `transfer ${transferId}: account ${account.id} balance ${account.balanceMinor} is outside 64 bits`,
  );
  assertInvariant(
    account.heldMinor >= 0n && isInt64(account.heldMinor),
    `transfer ${transferId}: account ${account.id} holds ${account.heldMinor}, below zero or outside 64 bits`,
  );
}
