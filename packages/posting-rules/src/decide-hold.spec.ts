// Proves the rules of a two-phase transfer by example: a hold reserves without posting and runs the
// payment's rules against the available balance; a capture posts exactly what it captures and frees
// the whole hold; a release frees it all; a repeated step is a duplicate; every other mismatch is a
// refusal; and the refund rule lets refunds reach, but never pass, what the payment moved.
import type { PayloadOf, RejectionReason } from '@oncepay/contracts';
import { decideCapture, decideHold, decideRelease } from './decide-hold';
import { decidePosting, decideRefundPosting } from './decide-posting';
import type { HoldSnapshot } from './hold-decision';
import type { AccountSnapshot, RefundablePayment } from './posting-decision';
import {
  account,
  accountId,
  CLIENT_A,
  CLIENT_B,
  EXPIRES_AT,
  FROM,
  FROM_ID,
  holdRequest,
  NOW,
  request,
  TO,
  TO_ID,
  TRANSFER_ID,
} from './posting.fixture';

const LATER = new Date(NOW.getTime() + 60_000);

/** The hold decideHold places for holdRequest() on FROM. */
const ACTIVE: HoldSnapshot = {
  transferId: TRANSFER_ID,
  accountId: FROM_ID,
  toAccountId: TO_ID,
  amountMinor: 2_500n,
  currency: 'EUR',
  status: 'ACTIVE',
  expiresAt: new Date(EXPIRES_AT),
  placedAt: NOW,
  capturedMinor: null,
  release: null,
  settledAt: null,
};
/** FROM while ACTIVE holds its 2500. */
const HOLDING = account({ heldMinor: 2_500n });

function captureOf(amountMinor: bigint, overrides: Partial<PayloadOf<'CaptureRequested'>> = {}) {
  return { ...holdRequest(), holdExpiresAt: EXPIRES_AT, captureAmountMinor: amountMinor, ...overrides };
}
function releaseOf(release: 'VOID' | 'EXPIRY', overrides: Partial<PayloadOf<'ReleaseRequested'>> = {}) {
  return { ...holdRequest(), holdExpiresAt: EXPIRES_AT, release, ...overrides };
}

describe('decideHold', () => {
  it('reserves the amount: held grows, the posted balance does not, no entry', () => {
    expect(decideHold(holdRequest(), { from: FROM, to: TO }, NOW)).toStrictEqual({
      outcome: 'hold',
      hold: ACTIVE,
      heldAfter: 2_500n,
    });
  });

  it('checks the available balance, not the posted one', () => {
    const partlyHeld = account({ balanceMinor: 10_000n, heldMinor: 7_501n });
    expect(decideHold(holdRequest(), { from: partlyHeld, to: TO }, NOW)).toStrictEqual({
      outcome: 'reject',
      reason: 'INSUFFICIENT_FUNDS',
    });
    const exactly = account({ balanceMinor: 10_000n, heldMinor: 7_500n });
    expect(decideHold(holdRequest(), { from: exactly, to: TO }, NOW)).toMatchObject({ heldAfter: 10_000n });
  });

  it.each<[string, Partial<AccountSnapshot> | null, AccountSnapshot | null, RejectionReason]>([
    ['another client owns the payer', { ownerClientId: CLIENT_B }, TO, 'ACCOUNT_NOT_FOUND'],
    ['the payer is missing', null, TO, 'ACCOUNT_NOT_FOUND'],
    ['the payer holds another currency', { currency: 'USD' }, TO, 'CURRENCY_MISMATCH'],
    ['the payee is missing', {}, null, 'ACCOUNT_NOT_FOUND'],
    ['the payer is short, over a missing payee', { balanceMinor: 0n }, null, 'INSUFFICIENT_FUNDS'],
    [
      'the held amount would leave 64 bits',
      { heldMinor: 2n ** 63n - 2n, allowNegativeBalance: true },
      TO,
      'BALANCE_OUT_OF_RANGE',
    ],
  ])('rejects like a payment when %s', (_case, from, to, reason) => {
    const accounts = { from: from === null ? null : account(from), to };
    expect(decideHold(holdRequest(), accounts, NOW)).toStrictEqual({ outcome: 'reject', reason });
    if (reason !== 'BALANCE_OUT_OF_RANGE')
      expect(decidePosting(request(), accounts, NOW)).toStrictEqual({ outcome: 'reject', reason });
  });

  it('throws for a request that is not a hold', () => {
    expect(() => decideHold(request(), { from: FROM, to: TO }, NOW)).toThrow(/holdExpiresAt/);
  });
});

describe('decidePosting against the available balance', () => {
  it('refuses a payment that only fits the posted balance', () => {
    const from = account({ balanceMinor: 10_000n, heldMinor: 8_000n });
    expect(decidePosting(request({ amountMinor: 2_001n }), { from, to: TO }, NOW)).toStrictEqual({
      outcome: 'reject',
      reason: 'INSUFFICIENT_FUNDS',
    });
    expect(decidePosting(request({ amountMinor: 2_000n }), { from, to: TO }, NOW)).toMatchObject({
      outcome: 'post',
      balancesAfter: { from: 8_000n, to: 2_500n },
    });
  });
});

describe('decideCapture', () => {
  it('posts exactly the captured amount under the hold and frees the whole hold', () => {
    const decision = decideCapture(ACTIVE, captureOf(1_000n), { from: HOLDING, to: TO }, LATER);
    expect(decision).toStrictEqual({
      outcome: 'capture',
      entries: [
        {
          transferId: TRANSFER_ID,
          accountId: FROM_ID,
          amountMinor: 1_000n,
          direction: 'DEBIT',
          currency: 'EUR',
          postedAt: LATER,
        },
        {
          transferId: TRANSFER_ID,
          accountId: TO_ID,
          amountMinor: 1_000n,
          direction: 'CREDIT',
          currency: 'EUR',
          postedAt: LATER,
        },
      ],
      balancesAfter: { from: 9_000n, to: 1_500n },
      heldAfter: 0n,
      hold: { ...ACTIVE, status: 'CAPTURED', capturedMinor: 1_000n, settledAt: LATER },
    });
  });

  it('captures the whole hold, leaving other holds of the payer held', () => {
    const from = account({ heldMinor: 4_000n });
    expect(decideCapture(ACTIVE, captureOf(2_500n), { from, to: TO }, LATER)).toMatchObject({
      balancesAfter: { from: 7_500n, to: 3_000n },
      heldAfter: 1_500n,
    });
  });

  it('is a duplicate for a hold already captured of this amount', () => {
    const captured = { ...ACTIVE, status: 'CAPTURED' as const, capturedMinor: 1_000n, settledAt: LATER };
    expect(decideCapture(captured, captureOf(1_000n), { from: FROM, to: TO }, LATER)).toStrictEqual({
      outcome: 'already_captured',
    });
  });

  it.each<[string, HoldSnapshot | null, PayloadOf<'CaptureRequested'>, string]>([
    ['no hold', null, captureOf(1n), 'HOLD_NOT_FOUND'],
    [
      'a released hold',
      { ...ACTIVE, status: 'RELEASED', release: 'VOID', settledAt: NOW },
      captureOf(1n),
      'HOLD_RELEASED',
    ],
    [
      'a hold captured of another amount',
      { ...ACTIVE, status: 'CAPTURED', capturedMinor: 2n, settledAt: NOW },
      captureOf(1n),
      'HOLD_CAPTURED',
    ],
    ['more than the hold', ACTIVE, captureOf(2_501n), 'CAPTURE_EXCEEDS_HOLD'],
    ['another payee', ACTIVE, captureOf(1n, { toAccountId: accountId(7) }), 'HOLD_FACTS_DIFFER'],
    ['another amount held', ACTIVE, captureOf(1n, { amountMinor: 2_499n }), 'HOLD_FACTS_DIFFER'],
    ['another expiry', ACTIVE, captureOf(1n, { holdExpiresAt: NOW.toISOString() }), 'HOLD_FACTS_DIFFER'],
    ['another currency', ACTIVE, captureOf(1n, { currency: 'USD' }), 'HOLD_FACTS_DIFFER'],
    [
      'a client that does not own the payer',
      ACTIVE,
      captureOf(1n, { clientId: CLIENT_B }),
      'HOLD_FACTS_DIFFER',
    ],
  ])('refuses a capture of %s', (_case, hold, capture, reason) => {
    expect(decideCapture(hold, capture, { from: HOLDING, to: TO }, LATER)).toStrictEqual({
      outcome: 'refuse',
      reason,
    });
  });

  it('throws when the payer holds less than the hold: the held amount would go below zero', () => {
    expect(() => decideCapture(ACTIVE, captureOf(1n), { from: FROM, to: TO }, LATER)).toThrow(/below zero/);
  });
});

describe('decideRelease', () => {
  it('frees the whole hold and posts nothing', () => {
    expect(decideRelease(ACTIVE, releaseOf('VOID'), HOLDING, LATER)).toStrictEqual({
      outcome: 'release',
      heldAfter: 0n,
      hold: { ...ACTIVE, status: 'RELEASED', release: 'VOID', settledAt: LATER },
    });
  });

  it('is a duplicate for a hold released for the same reason, refused for the other one', () => {
    const voided = { ...ACTIVE, status: 'RELEASED' as const, release: 'VOID' as const, settledAt: LATER };
    expect(decideRelease(voided, releaseOf('VOID'), FROM, LATER)).toStrictEqual({
      outcome: 'already_released',
    });
    expect(decideRelease(voided, releaseOf('EXPIRY'), FROM, LATER)).toStrictEqual({
      outcome: 'refuse',
      reason: 'HOLD_RELEASED',
    });
  });

  it('refuses a release of a captured hold, and of no hold', () => {
    const captured = { ...ACTIVE, status: 'CAPTURED' as const, capturedMinor: 5n, settledAt: LATER };
    expect(decideRelease(captured, releaseOf('EXPIRY'), FROM, LATER)).toStrictEqual({
      outcome: 'refuse',
      reason: 'HOLD_CAPTURED',
    });
    expect(decideRelease(null, releaseOf('VOID'), null, LATER)).toStrictEqual({
      outcome: 'refuse',
      reason: 'HOLD_NOT_FOUND',
    });
  });
});

describe('decideRefundPosting', () => {
  const PAYMENT_ID = accountId(99);
  // The payment moved 2500 from the refund's payee (FROM, client A) to its payer (the refund's from).
  const payee = account({ id: TO_ID, ownerClientId: CLIENT_B, balanceMinor: 10_000n });
  const payment = (refundedMinor: bigint): RefundablePayment => ({
    payerAccountId: FROM_ID,
    payeeAccountId: TO_ID,
    currency: 'EUR',
    paidMinor: 2_500n,
    refundedMinor,
  });
  const refund = (amountMinor: bigint) =>
    request({
      clientId: CLIENT_B,
      fromAccountId: TO_ID,
      toAccountId: FROM_ID,
      amountMinor,
      refundOf: PAYMENT_ID,
    });
  const accounts = { from: payee, to: FROM };

  it('posts a refund that, with the ones before it, reaches the payment exactly', () => {
    expect(decideRefundPosting(refund(1_000n), accounts, payment(1_500n), NOW)).toMatchObject({
      outcome: 'post',
      balancesAfter: { from: 9_000n, to: 11_000n },
    });
  });

  it.each<[string, bigint, RefundablePayment | null]>([
    ['one minor unit over the payment', 2_501n, payment(0n)],
    ['over what earlier refunds left', 1_001n, payment(1_500n)],
    ['of a payment never posted', 1n, null],
    ['that does not reverse the payment', 1n, { ...payment(0n), payerAccountId: accountId(5) }],
  ])('refuses a refund %s with REFUND_EXCEEDS_PAYMENT', (_case, amountMinor, paid) => {
    expect(decideRefundPosting(refund(amountMinor), accounts, paid, NOW)).toStrictEqual({
      outcome: 'reject',
      reason: 'REFUND_EXCEEDS_PAYMENT',
    });
  });

  it("answers ACCOUNT_NOT_FOUND first for a refund from another client's account", () => {
    const forged = { ...refund(1n), clientId: CLIENT_A };
    expect(decideRefundPosting(forged, accounts, null, NOW)).toStrictEqual({
      outcome: 'reject',
      reason: 'ACCOUNT_NOT_FOUND',
    });
  });

  it('throws for a request that is not a refund', () => {
    expect(() => decideRefundPosting(request(), accounts, payment(0n), NOW)).toThrow(/not a refund/);
  });
});
