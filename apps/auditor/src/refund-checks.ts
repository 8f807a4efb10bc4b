// Refunds never exceed their payment, on either side. A refund is a transfer of its own (its own id),
// so its payment is not in its TransferStory: PostgreSQL groups the refunds by payment instead, in each
// service's snapshot (snapshots.ts' refundsByPayment and refundPostingsByPayment), and these checks
// page through one row per refunded payment, keeping counters and a bounded CheckCollector.
import { CheckCollector, type PagedCheck } from './check-result';
import { CHECK_NAMES } from './checks';
import type { PaymentRefundsRow, PostedRefundsRow } from './snapshots';

/**
 * The transfer-service's side: only a COMPLETED payment or a CAPTURED hold is refunded; its COMPLETED
 * refunds never sum to more than it paid (its amount, or a hold's captured amount), nor do its PENDING
 * and COMPLETED ones together (what decideRefund accepted under the payment's row lock); and each refund
 * sends the money back: from the payment's payee to its payer, in its currency.
 */
export function refundsWithinPayments(): PagedCheck<PaymentRefundsRow[]> {
  const found = new CheckCollector();
  let payments = 0;
  let refunds = 0;
  return {
    name: CHECK_NAMES.refundsWithinPayments,
    consume(page) {
      for (const row of page) {
        payments += 1;
        refunds += row.refunds;
        const name = `${row.paymentIsHold ? 'hold' : row.paymentIsRefund ? 'refund' : 'payment'} ${row.paymentId} ${row.paymentStatus}`;
        const refundable =
          (row.paymentIsHold && row.paymentStatus === 'CAPTURED') ||
          (!row.paymentIsHold && !row.paymentIsRefund && row.paymentStatus === 'COMPLETED');
        if (!refundable) {
          found.violation(
            `${name} has ${row.refunds} refunds, but only a COMPLETED payment or a CAPTURED hold may be refunded`,
          );
        } else {
          const paid = BigInt(
            (row.paymentIsHold ? row.paymentCaptureAmountMinor : row.paymentAmountMinor) ?? '0',
          );
          if (BigInt(row.completedMinor) > paid)
            found.violation(`${name} paid ${paid}, its COMPLETED refunds sum to ${row.completedMinor}`);
          else if (BigInt(row.acceptedMinor) > paid)
            found.violation(
              `${name} paid ${paid}, its PENDING and COMPLETED refunds sum to ${row.acceptedMinor}`,
            );
        }
        if (row.unreversedCount > 0)
          found.violation(
            `${name}: ${row.unreversedCount} refunds do not pay back its payee's money to its payer in its currency (${describeIds(row.unreversed, row.unreversedCount)})`,
          );
      }
    },
    result() {
      return found.result(CHECK_NAMES.refundsWithinPayments, `${refunds} refunds of ${payments} payments`);
    },
  };
}

/**
 * The ledger's side: the POSTED refunds of a payment are debits of at most its own DEBIT entry in total
 * (a captured hold's DEBIT is its capture), each reversing its accounts (DEBIT the payment's CREDIT
 * account, CREDIT its DEBIT account) in its currency; a refund of a payment the ledger never posted
 * is a violation.
 */
export function refundPostingsWithinPayments(): PagedCheck<PostedRefundsRow[]> {
  const found = new CheckCollector();
  let payments = 0;
  let refunds = 0;
  return {
    name: CHECK_NAMES.refundPostingsWithinPayments,
    consume(page) {
      for (const row of page) {
        payments += 1;
        refunds += row.refunds;
        if (row.paymentDebitMinor === null)
          found.violation(
            `the ledger posted ${row.refunds} refunds of ${row.refundedMinor} of transfer ${row.paymentId}, which it never posted`,
          );
        else if (BigInt(row.refundedMinor) > BigInt(row.paymentDebitMinor))
          found.violation(
            `transfer ${row.paymentId} debited ${row.paymentDebitMinor}, the ledger posted ${row.refunds} refunds of it debiting ${row.refundedMinor}`,
          );
        if (row.paymentDebitMinor !== null && row.unreversedCount > 0)
          found.violation(
            `transfer ${row.paymentId}: ${row.unreversedCount} posted refunds do not reverse its entries' accounts and currency (${describeIds(row.unreversed, row.unreversedCount)})`,
          );
      }
    },
    result() {
      return found.result(
        CHECK_NAMES.refundPostingsWithinPayments,
        `${refunds} posted refunds of ${payments} payments against the payments' postings`,
      );
    },
  };
}

function describeIds(first: string[], count: number): string {
  return count > first.length ? `${first.join(', ')} and ${count - first.length} more` : first.join(', ');
}
