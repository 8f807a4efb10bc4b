// Refunds: a refund is a transfer of its own (a one-step transfer with `refundOf`), from the payment's
// payee back to its payer. What may be refunded is decided here, purely; transfer-service calls it with
// the payment's state and the refunds of it that are pending or completed, read under the payment's
// row lock, so two concurrent refunds of one payment are decided one after the other and together
// never exceed it. (The ledger checks again against what it posted: see REFUND_EXCEEDS_PAYMENT.)
import type { TransferFacts } from '@oncepay/contracts';
import { kindOf, type TransferState } from './transfer-state';

/**
 * - `UNKNOWN_TRANSFER`: no such payment (for this client).
 * - `NOT_REFUNDABLE`: not a completed payment or a captured hold: still pending, failed, voided,
 *   expired, or itself a refund.
 * - `REFUND_EXCEEDS_PAYMENT`: with the refunds pending or completed, more than the payment moved.
 */
export type RefundRefusal = 'UNKNOWN_TRANSFER' | 'NOT_REFUNDABLE' | 'REFUND_EXCEEDS_PAYMENT';

export type RefundDecision =
  | { outcome: 'accepted'; refund: TransferFacts }
  | { outcome: 'refused'; reason: RefundRefusal; refundableMinor: bigint };

/** What a transfer moved and may be refunded: a completed payment's amount, a captured hold's capture. */
export function paidMinor(payment: TransferState): bigint {
  if (payment.status === 'COMPLETED' && kindOf(payment.transfer) === 'PAYMENT')
    return payment.transfer.amountMinor;
  if (payment.status === 'CAPTURED') return payment.captureAmountMinor;
  return 0n;
}

/**
 * Decides a refund of `amountMinor` of `payment`, given `refundingMinor`: the sum of its refunds that
 * are pending or completed (a failed refund gives its amount back). The refund's facts reverse the
 * payment's accounts, in its currency.
 */
export function decideRefund(
  payment: TransferState,
  refundingMinor: bigint,
  request: { refundId: string; clientId: string; amountMinor: bigint; reference: string | null },
): RefundDecision {
  if (payment.status === 'NONE')
    return { outcome: 'refused', reason: 'UNKNOWN_TRANSFER', refundableMinor: 0n };
  const paid = paidMinor(payment);
  if (paid === 0n) return { outcome: 'refused', reason: 'NOT_REFUNDABLE', refundableMinor: 0n };
  const refundable = paid - refundingMinor;
  // Nothing left is refused before the amount is looked at: a caller defaulting the amount to what is
  // left asks for 0 then, and must hear REFUND_EXCEEDS_PAYMENT, not get a refund of nothing.
  if (refundable > 0n && request.amountMinor <= 0n) {
    // The API accepts positive amounts only, and the codec would refuse the event: a caller's bug.
    throw new RangeError(`refund of ${request.amountMinor}: must be at least 1 minor unit`);
  }
  if (refundable <= 0n || request.amountMinor > refundable) {
    return {
      outcome: 'refused',
      reason: 'REFUND_EXCEEDS_PAYMENT',
      refundableMinor: refundable < 0n ? 0n : refundable,
    };
  }
  const { transfer } = payment;
  return {
    outcome: 'accepted',
    refund: {
      transferId: request.refundId,
      clientId: request.clientId,
      fromAccountId: transfer.toAccountId,
      toAccountId: transfer.fromAccountId,
      amountMinor: request.amountMinor,
      currency: transfer.currency,
      reference: request.reference,
      refundOf: transfer.transferId,
    },
  };
}
