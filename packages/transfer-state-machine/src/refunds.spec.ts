// Proves decideRefund and paidMinor: only a completed payment or a captured hold is refundable, by
// what it moved (a captured hold by its capture, not the amount held); refunds pending or completed
// count against it, up to exactly what is left; a refund's facts reverse the payment's accounts.
import { decideRefund, paidMinor, type RefundDecision } from './refunds';
import {
  CAPTURE_AMOUNT_MINOR,
  eventId,
  eventOf,
  FACTS,
  given,
  HOLD_FACTS,
  HOLD_HISTORIES,
  REFUND_FACTS,
} from './transfer-events.fixture';
import type { TransferState } from './transfer-state';

const REFUND_ID = eventId(0x4ef);
const request = (amountMinor: bigint) => ({
  refundId: REFUND_ID,
  clientId: 'demo-b',
  amountMinor,
  reference: 'returned goods',
});

const completedPayment = given(eventOf('TransferRequested'), eventOf('TransferPosted'));
const capturedHold = given(...HOLD_HISTORIES.CAPTURED);
const completedRefund = given(
  eventOf('TransferRequested', { facts: REFUND_FACTS }),
  eventOf('TransferPosted', { facts: REFUND_FACTS }),
);

const NOT_REFUNDABLE: [string, TransferState][] = [
  ['a PENDING payment', given(eventOf('TransferRequested'))],
  ['a FAILED payment', given(eventOf('TransferRequested'), eventOf('TransferRejected'))],
  ['a COMPLETED refund (a refund of a refund)', completedRefund],
  ['a PENDING hold', given(...HOLD_HISTORIES.PENDING)],
  ['a FAILED hold', given(...HOLD_HISTORIES.FAILED)],
  ['a HELD hold', given(...HOLD_HISTORIES.HELD)],
  ['a CAPTURING hold', given(...HOLD_HISTORIES.CAPTURING)],
  ['a VOIDING hold', given(...HOLD_HISTORIES.VOIDING)],
  ['a VOIDED hold', given(...HOLD_HISTORIES.VOIDED)],
  ['an EXPIRING hold', given(...HOLD_HISTORIES.EXPIRING)],
  ['an EXPIRED hold', given(...HOLD_HISTORIES.EXPIRED)],
];

describe('paidMinor', () => {
  it('is the amount of a COMPLETED payment', () => {
    expect(paidMinor(completedPayment)).toBe(FACTS.amountMinor);
  });

  it('is the capture of a CAPTURED hold, not the amount held', () => {
    expect(CAPTURE_AMOUNT_MINOR).toBeLessThan(HOLD_FACTS.amountMinor);
    expect(paidMinor(capturedHold)).toBe(CAPTURE_AMOUNT_MINOR);
  });

  it.each([['nothing known', given()] as [string, TransferState], ...NOT_REFUNDABLE])(
    'is 0 for %s',
    (_name, state) => {
      expect(paidMinor(state)).toBe(0n);
    },
  );
});

describe('decideRefund', () => {
  it('given no such payment: refused UNKNOWN_TRANSFER', () => {
    expect(decideRefund(given(), 0n, request(1n))).toStrictEqual({
      outcome: 'refused',
      reason: 'UNKNOWN_TRANSFER',
      refundableMinor: 0n,
    });
  });

  it.each(NOT_REFUNDABLE)('given %s: refused NOT_REFUNDABLE', (_name, state) => {
    expect(decideRefund(state, 0n, request(1n))).toStrictEqual({
      outcome: 'refused',
      reason: 'NOT_REFUNDABLE',
      refundableMinor: 0n,
    });
  });

  it('given a COMPLETED payment: the refund reverses its accounts, in its currency, and names it', () => {
    expect(decideRefund(completedPayment, 0n, request(100n))).toStrictEqual<RefundDecision>({
      outcome: 'accepted',
      refund: {
        transferId: REFUND_ID,
        clientId: 'demo-b',
        fromAccountId: FACTS.toAccountId,
        toAccountId: FACTS.fromAccountId,
        amountMinor: 100n,
        currency: FACTS.currency,
        reference: 'returned goods',
        refundOf: FACTS.transferId,
      },
    });
  });

  it('the refund of a payment has no holdExpiresAt key, the refund of a captured hold neither', () => {
    for (const payment of [completedPayment, capturedHold]) {
      const decision = decideRefund(payment, 0n, request(1n));
      expect(decision.outcome === 'accepted' && Object.keys(decision.refund)).not.toContain('holdExpiresAt');
    }
  });

  // [payment, already refunding, amount asked, expected: accepted or the refundable amount refused]
  const paid = FACTS.amountMinor;
  const table: [string, TransferState, bigint, bigint, 'accepted' | { refundableMinor: bigint }][] = [
    ['the whole payment', completedPayment, 0n, paid, 'accepted'],
    ['1 more than the payment', completedPayment, 0n, paid + 1n, { refundableMinor: paid }],
    ['exactly what is left', completedPayment, 2_345n, paid - 2_345n, 'accepted'],
    [
      '1 more than what is left',
      completedPayment,
      2_345n,
      paid - 2_345n + 1n,
      { refundableMinor: paid - 2_345n },
    ],
    ['1 once fully refunded', completedPayment, paid, 1n, { refundableMinor: 0n }],
    [
      '0 (the default: what is left) once fully refunded',
      completedPayment,
      paid,
      0n,
      { refundableMinor: 0n },
    ],
    ['1 when refunds already exceed the payment', completedPayment, paid + 5n, 1n, { refundableMinor: 0n }],
    ['the whole capture of a partly captured hold', capturedHold, 0n, CAPTURE_AMOUNT_MINOR, 'accepted'],
    [
      '1 more than the capture (still within the hold)',
      capturedHold,
      0n,
      CAPTURE_AMOUNT_MINOR + 1n,
      { refundableMinor: CAPTURE_AMOUNT_MINOR },
    ],
    ['exactly what is left of a capture', capturedHold, 1n, CAPTURE_AMOUNT_MINOR - 1n, 'accepted'],
    [
      '1 more than what is left of a capture',
      capturedHold,
      1n,
      CAPTURE_AMOUNT_MINOR,
      { refundableMinor: CAPTURE_AMOUNT_MINOR - 1n },
    ],
  ];

  it.each(table)('a refund of %s', (_name, payment, refundingMinor, amountMinor, expected) => {
    const decision = decideRefund(payment, refundingMinor, request(amountMinor));
    if (expected === 'accepted') {
      expect(decision).toMatchObject({ outcome: 'accepted', refund: { amountMinor } });
    } else {
      expect(decision).toStrictEqual({ outcome: 'refused', reason: 'REFUND_EXCEEDS_PAYMENT', ...expected });
    }
  });

  it.each([0n, -1n])(
    'throws on a refund of %s while something is refundable (a caller bug)',
    (amountMinor) => {
      expect(() => decideRefund(completedPayment, 0n, request(amountMinor))).toThrow(RangeError);
    },
  );
});
