// What one batch of the ledger's consumer learnt under its locks, and what it decided so far. The
// batch decides its requests in order, in memory: each one sees the balances, held amounts, holds and
// refund totals the ones before it left (a batch may place a hold and, later in it, capture it), and
// everything is written at the end in a fixed number of statements (`writeBatch`).
import type {
  HoldSnapshot,
  AccountSnapshot,
  JournalEntryDraft,
  RefundablePayment,
} from '@oncepay/posting-rules';
import type { AccountAmounts, BatchWrites, DecisionRecord } from './posting.repository';

export class LedgerBatch {
  readonly writes: BatchWrites = {
    decisions: [],
    entries: [],
    accounts: new Map(),
    placedHolds: new Map(),
    settledHolds: new Map(),
  };

  /**
   * @param accounts the locked accounts, by id
   * @param decided the transfers decided before the batch
   * @param holds the locked holds the batch captures or releases, by transfer id
   * @param payments what was posted for the payments the batch refunds, by payment id
   */
  constructor(
    private readonly accounts: Map<string, AccountSnapshot>,
    private readonly decided: Set<string>,
    private readonly holds: Map<string, HoldSnapshot>,
    private readonly payments: Map<string, RefundablePayment>,
  ) {}

  account(id: string): AccountSnapshot | null {
    return this.accounts.get(id) ?? null;
  }

  hold(transferId: string): HoldSnapshot | null {
    return this.holds.get(transferId) ?? null;
  }

  payment(paymentId: string): RefundablePayment | null {
    return this.payments.get(paymentId) ?? null;
  }

  isDecided(transferId: string): boolean {
    return this.decided.has(transferId);
  }

  decide(decision: DecisionRecord): void {
    this.decided.add(decision.transferId);
    this.writes.decisions.push(decision);
  }

  append(entries: readonly JournalEntryDraft[]): void {
    this.writes.entries.push(...entries);
  }

  /** The next request of the batch on this account starts from the amounts just decided. */
  move(accountId: string, change: Partial<AccountAmounts>): void {
    const account = this.accounts.get(accountId);
    if (account === undefined) throw new Error(`account ${accountId} moved without its row lock`);
    const after = { balanceMinor: account.balanceMinor, heldMinor: account.heldMinor, ...change };
    const before = this.writes.accounts.get(accountId)?.before ?? {
      balanceMinor: account.balanceMinor,
      heldMinor: account.heldMinor,
    };
    this.writes.accounts.set(accountId, { before, after });
    this.accounts.set(accountId, { ...account, ...after });
  }

  placeHold(hold: HoldSnapshot): void {
    this.holds.set(hold.transferId, hold);
    this.writes.placedHolds.set(hold.transferId, hold);
  }

  /** Records how a hold ended: an update of a hold that existed before, or the final state of a new one. */
  settleHold(hold: HoldSnapshot): void {
    this.holds.set(hold.transferId, hold);
    const placedHere = this.writes.placedHolds.has(hold.transferId);
    (placedHere ? this.writes.placedHolds : this.writes.settledHolds).set(hold.transferId, hold);
  }

  /** A refund of `paymentId` posted: later refunds of it in the batch see it counted. */
  countRefund(paymentId: string, amountMinor: bigint): void {
    const payment = this.payments.get(paymentId);
    if (payment === undefined) throw new Error(`refund of ${paymentId} posted without its payment`);
    this.payments.set(paymentId, { ...payment, refundedMinor: payment.refundedMinor + amountMinor });
  }
}
