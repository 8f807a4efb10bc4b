// The ledger's posting rules: whether a transfer request posts, and if so its two journal entries and
// the balances they leave. Pure (no I/O, no clock: `now` comes in), so ledger-service calls it inside
// its transaction, after locking both account rows, and tests can run it millions of times.
import { MAX_AMOUNT_MINOR, type RejectionReason, type TransferFacts } from '@oncepay/contracts';
import { assertInvariant, isInt64 } from './invariants';
import {
  signedAmountMinor,
  type AccountSnapshot,
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
  if (request.fromAccountId === request.toAccountId) return reject('SAME_ACCOUNT');
  const { from, to } = accounts;
  // A client learns nothing about accounts it does not own. So the payer's own side is decided first
  // (an account it cannot debit looks exactly like a missing one), and only then the payee: a failure
  // on the payer's side must not depend on whether the payee exists. Another client's account that
  // cannot take this credit (another currency) looks missing too. Only a credit that posts tells the
  // payer the account exists, which paying into it has to.
  if (from === null || from.ownerClientId !== request.clientId) return reject('ACCOUNT_NOT_FOUND');
  if (from.currency !== request.currency) return reject('CURRENCY_MISMATCH');
  // An account already below zero without allowNegativeBalance (the flag turned off later) refuses
  // every debit here but still accepts credits, which is how it gets back to zero.
  if (from.balanceMinor - request.amountMinor < 0n && !from.allowNegativeBalance) {
    return reject('INSUFFICIENT_FUNDS');
  }
  if (to === null) return reject('ACCOUNT_NOT_FOUND');
  if (to.currency !== request.currency)
    return reject(to.ownerClientId === request.clientId ? 'CURRENCY_MISMATCH' : 'ACCOUNT_NOT_FOUND');
  // Only reachable by balances beyond 9.2 * 10^18 minor units, but a run of valid transfers can get
  // there: refused like any other outcome, so the transfer ends FAILED instead of waiting forever.
  if (!isInt64(from.balanceMinor - request.amountMinor) || !isInt64(to.balanceMinor + request.amountMinor)) {
    return reject('BALANCE_OUT_OF_RANGE');
  }
  return post(request, from, to, now);
}

function reject(reason: RejectionReason): PostingDecision {
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
    from.allowNegativeBalance || balancesAfter.from >= 0n,
    `transfer ${request.transferId}: account ${from.id} would go below zero without allowNegativeBalance`,
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
function assertPreconditions(
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
}
