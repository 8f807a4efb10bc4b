// The transfer resource of the public API (v1): money as a string of minor units, times as ISO-8601.
import { kindOf, type TransferKind } from '@oncepay/transfer-state-machine';
import type { Transfer } from '../generated/prisma/client';
import { toTransferState } from './transfer.repository';

export interface TransferResource {
  id: string;
  /** PAYMENT, HOLD (two phases: captured, voided or expired) or REFUND (of `refundOf`). */
  kind: TransferKind;
  status: Transfer['status'];
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  currency: string;
  reference: string | null;
  failureReason: string | null;
  /** A hold's expiry; null for any other kind. */
  holdExpiresAt: string | null;
  /** What a capturing or captured hold captures; null otherwise. */
  capturedAmount: string | null;
  /** A refund's payment; null for any other kind. */
  refundOf: string | null;
  /** The sum of this transfer's COMPLETED refunds ("0" when none). */
  refundedAmount: string;
  createdAt: string;
  updatedAt: string;
}

/** `refundedMinor`: the sum of the transfer's COMPLETED refunds (see refundedAmounts). */
export function toTransferResource(row: Transfer, refundedMinor = 0n): TransferResource {
  return {
    id: row.id,
    kind: kindOf(toTransferState(row).transfer),
    status: row.status,
    fromAccountId: row.fromAccountId,
    toAccountId: row.toAccountId,
    amount: row.amountMinor.toString(),
    currency: row.currency,
    reference: row.reference,
    failureReason: row.failureReason,
    holdExpiresAt: row.holdExpiresAt?.toISOString() ?? null,
    capturedAmount: row.captureAmountMinor?.toString() ?? null,
    refundOf: row.refundOf,
    refundedAmount: refundedMinor.toString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function transferLocation(id: string): string {
  return `/v1/transfers/${id}`;
}
