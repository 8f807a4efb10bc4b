// The ledger's rules for a two-phase transfer (TigerBeetle's pending transfer, Stripe's authorize and
// capture): placing a hold reserves the amount in the payer's held balance, capturing it posts up to
// that amount and releases the whole hold, releasing it posts nothing. Pure like decidePosting: the
// ledger calls these under the locks of both accounts and of the hold's row, with `now` passed in.
// The ledger never decides how a hold ends (transfer-service does); it carries out what it is asked,
// after checking again that the request fits the hold, and refuses (throws upstream) what does not.
import type { PayloadOf, TransferFacts } from '@oncepay/contracts';
import { assertPreconditions, checkTransferRules } from './decide-posting';
import type {
  CaptureDecision,
  HoldDecision,
  HoldRefusal,
  HoldSnapshot,
  ReleaseDecision,
} from './hold-decision';
import { assertInvariant, isInt64 } from './invariants';
import {
  availableMinor,
  signedAmountMinor,
  type AccountSnapshot,
  type JournalEntryDraft,
} from './posting-decision';

type Accounts = { from: AccountSnapshot | null; to: AccountSnapshot | null };
type CaptureRequest = PayloadOf<'CaptureRequested'>;
type ReleaseRequest = PayloadOf<'ReleaseRequested'>;

/**
 * Decides a hold request: the same rules as a payment, in the same order (see PostingDecision), the
 * funds rule against the available balance. A hold that passes them reserves its amount: the payer's
 * held amount grows, its posted balance does not move, and nothing is written to the journal.
 */
export function decideHold(request: TransferFacts, accounts: Accounts, now: Date): HoldDecision {
  assertPreconditions(request, accounts, now);
  const expiresAt = new Date(request.holdExpiresAt ?? Number.NaN);
  assertInvariant(
    !Number.isNaN(expiresAt.getTime()) && request.refundOf === undefined,
    `transfer ${request.transferId}: a hold needs a valid holdExpiresAt and no refundOf`,
  );
  const checked = checkTransferRules(request, accounts, request.amountMinor);
  if (checked.outcome === 'reject') return checked;

  const { from, to } = checked;
  const heldAfter = from.heldMinor + request.amountMinor;
  assertInvariant(
    from.allowNegativeBalance || from.balanceMinor - heldAfter >= 0n,
    `hold ${request.transferId}: account ${from.id} would have an available balance below zero`,
  );
  const hold: HoldSnapshot = {
    transferId: request.transferId,
    accountId: from.id,
    toAccountId: to.id,
    amountMinor: request.amountMinor,
    currency: request.currency,
    status: 'ACTIVE',
    expiresAt,
    placedAt: new Date(now.getTime()),
    capturedMinor: null,
    release: null,
    settledAt: null,
  };
  return { outcome: 'hold', hold, heldAfter };
}

/**
 * Decides a capture of `request.captureAmountMinor` of `hold` (null when there is none), with the
 * snapshots of the hold's two accounts. An ACTIVE hold is captured: one DEBIT on the payer and one
 * CREDIT on the payee of the captured amount, and the WHOLE hold leaves the payer's held amount (the
 * part not captured is released with it). A hold captured before for the same amount is a duplicate.
 */
export function decideCapture(
  hold: HoldSnapshot | null,
  request: CaptureRequest,
  accounts: Accounts,
  now: Date,
): CaptureDecision {
  assertInvariant(
    request.captureAmountMinor > 0n && isInt64(request.captureAmountMinor),
    `capture of ${request.transferId}: captureAmountMinor ${request.captureAmountMinor} is outside 1..2^63-1`,
  );
  const refusal = refusalOf(hold, request, accounts.from, now);
  if (refusal !== null) return refuse(refusal);
  hold = hold as HoldSnapshot;
  if (hold.status === 'RELEASED') return refuse('HOLD_RELEASED');
  if (hold.status === 'CAPTURED') {
    return hold.capturedMinor === request.captureAmountMinor
      ? { outcome: 'already_captured' }
      : refuse('HOLD_CAPTURED');
  }
  if (request.captureAmountMinor > hold.amountMinor) return refuse('CAPTURE_EXCEEDS_HOLD');
  const { from, to } = accounts;
  assertInvariant(
    from !== null && to !== null && to.id === hold.toAccountId && from.id !== to.id,
    `capture of ${hold.transferId}: needs the snapshots of both of its accounts`,
  );
  return capture(hold, request.captureAmountMinor, from, to, now);
}

/**
 * Decides a release of `hold` (null when there is none) with the payer's snapshot: an ACTIVE hold
 * leaves the payer's held amount whole and ends RELEASED; nothing is posted. A hold released before
 * for the same reason is a duplicate.
 */
export function decideRelease(
  hold: HoldSnapshot | null,
  request: ReleaseRequest,
  payer: AccountSnapshot | null,
  now: Date,
): ReleaseDecision {
  const refusal = refusalOf(hold, request, payer, now);
  if (refusal !== null) return refuse(refusal);
  hold = hold as HoldSnapshot;
  if (hold.status === 'CAPTURED') return refuse('HOLD_CAPTURED');
  if (hold.status === 'RELEASED') {
    return hold.release === request.release ? { outcome: 'already_released' } : refuse('HOLD_RELEASED');
  }
  payer = payer as AccountSnapshot;
  const heldAfter = payer.heldMinor - hold.amountMinor;
  assertInvariant(
    heldAfter >= 0n,
    `release of ${hold.transferId}: account ${payer.id} would hold ${heldAfter}`,
  );
  const settled: HoldSnapshot = {
    ...hold,
    status: 'RELEASED',
    release: request.release,
    settledAt: new Date(now.getTime()),
  };
  return { outcome: 'release', heldAfter, hold: settled };
}

function capture(
  hold: HoldSnapshot,
  captureMinor: bigint,
  from: AccountSnapshot,
  to: AccountSnapshot,
  now: Date,
): CaptureDecision {
  const entry = (accountId: string, direction: JournalEntryDraft['direction']): JournalEntryDraft => ({
    transferId: hold.transferId,
    accountId,
    amountMinor: captureMinor,
    direction,
    currency: hold.currency,
    postedAt: new Date(now.getTime()),
  });
  const debit = entry(from.id, 'DEBIT');
  const credit = entry(to.id, 'CREDIT');
  const balancesAfter = {
    from: from.balanceMinor + signedAmountMinor(debit),
    to: to.balanceMinor + signedAmountMinor(credit),
  };
  const heldAfter = from.heldMinor - hold.amountMinor;
  const id = `capture of ${hold.transferId}`;

  assertInvariant(
    signedAmountMinor(debit) + signedAmountMinor(credit) === 0n,
    `${id}: debits and credits differ`,
  );
  assertInvariant(captureMinor <= hold.amountMinor, `${id}: captures more than it held`);
  assertInvariant(heldAfter >= 0n, `${id}: account ${from.id} would hold ${heldAfter}, below zero`);
  // The placement checked the payer's range, but the payee may have been credited since: a capture
  // that would carry its balance past 2^63-1 cannot be carried out. The ledger carries out the ending
  // it is sent and never decides another, so it stops here: the request is dead-lettered and the hold
  // stays CAPTURING for an operator (docs/architecture.md, "Clocks and limits").
  assertInvariant(
    isInt64(balancesAfter.from) && isInt64(balancesAfter.to),
    `${id}: a balance would leave the signed 64-bit range`,
  );
  // Capturing never lowers the available balance: it spends (part of) what the hold reserved.
  assertInvariant(
    balancesAfter.from - heldAfter >= availableMinor(from),
    `${id}: account ${from.id} would spend more than its hold reserved`,
  );
  const settled: HoldSnapshot = {
    ...hold,
    status: 'CAPTURED',
    capturedMinor: captureMinor,
    settledAt: new Date(now.getTime()),
  };
  return { outcome: 'capture', entries: [debit, credit], balancesAfter, heldAfter, hold: settled };
}

/**
 * What makes a capture or a release of `hold` impossible whatever its status: no hold, or a request
 * that does not describe it (other accounts, amount, currency, expiry, or a client that is not the
 * payer's owner). Null when the request fits the hold.
 */
function refusalOf(
  hold: HoldSnapshot | null,
  request: CaptureRequest | ReleaseRequest,
  payer: AccountSnapshot | null,
  now: Date,
): HoldRefusal | null {
  assertInvariant(!Number.isNaN(now.getTime()), `hold ${request.transferId}: now is an invalid Date`);
  if (hold === null) return 'HOLD_NOT_FOUND';
  const fits =
    hold.transferId === request.transferId &&
    hold.accountId === request.fromAccountId &&
    hold.toAccountId === request.toAccountId &&
    hold.amountMinor === request.amountMinor &&
    hold.currency === request.currency &&
    hold.expiresAt.getTime() === new Date(request.holdExpiresAt).getTime();
  if (!fits) return 'HOLD_FACTS_DIFFER';
  // The payer exists (the hold's foreign key), and the caller locked the account the request names.
  assertInvariant(
    payer !== null && payer.id === hold.accountId,
    `hold ${hold.transferId}: got the snapshot of account ${payer?.id} for its payer ${hold.accountId}`,
  );
  return payer.ownerClientId === request.clientId ? null : 'HOLD_FACTS_DIFFER';
}

function refuse(reason: HoldRefusal): { outcome: 'refuse'; reason: HoldRefusal } {
  return { outcome: 'refuse', reason };
}
