// The transfer resource of the public API (v1): money as a string of minor units, times as ISO-8601.
import type { Transfer } from '../generated/prisma/client';

export interface TransferResource {
  id: string;
  status: Transfer['status'];
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  currency: string;
  reference: string | null;
  failureReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toTransferResource(row: Transfer): TransferResource {
  return {
    id: row.id,
    status: row.status,
    fromAccountId: row.fromAccountId,
    toAccountId: row.toAccountId,
    amount: row.amountMinor.toString(),
    currency: row.currency,
    reference: row.reference,
    failureReason: row.failureReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function transferLocation(id: string): string {
  return `/v1/transfers/${id}`;
}
