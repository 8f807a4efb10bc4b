// The read side's one query beyond the rows themselves: how much of each transfer was refunded, so
// every read (one transfer, a page, a payment's refunds) shows `refundedAmount` the same way.
import type { TransferDatabase } from '../database';
import type { Transfer } from '../generated/prisma/client';
import { toTransferResource, type TransferResource } from './transfer.resource';

/** The resources of `rows`, each with the sum of its COMPLETED refunds: one grouped query for them all. */
export async function readTransferResources(
  db: TransferDatabase,
  rows: readonly Transfer[],
): Promise<TransferResource[]> {
  const refunded = await refundedMinorOf(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => toTransferResource(row, refunded.get(row.id) ?? 0n));
}

/** The sum of the COMPLETED refunds of each of `ids` that has any (off the refund_of index). */
async function refundedMinorOf(db: TransferDatabase, ids: readonly string[]): Promise<Map<string, bigint>> {
  if (ids.length === 0) return new Map();
  const sums = await db.transfer.groupBy({
    by: ['refundOf'],
    where: { refundOf: { in: [...ids] }, status: 'COMPLETED' },
    _sum: { amountMinor: true },
  });
  return new Map(
    sums.flatMap((sum) => (sum.refundOf === null ? [] : [[sum.refundOf, sum._sum.amountMinor ?? 0n]])),
  );
}
