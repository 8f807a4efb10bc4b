// Proves, over random sequences of payments, holds, captures, releases and refunds applied one after
// another (steps repeated and out of place included), that money is conserved, that no account without
// allowNegativeBalance ever has an available balance below zero, that each account's held amount is
// the sum of its active holds, that every ended hold splits into captured + released = held, and that
// the refunds posted for a payment never sum to more than it.
import type { TransferFacts } from '@oncepay/contracts';
import fc from 'fast-check';
import { decideCapture, decideHold, decideRelease } from './decide-hold';
import { decidePosting, decideRefundPosting } from './decide-posting';
import type { HoldSnapshot } from './hold-decision';
import type { AccountSnapshot, RefundablePayment } from './posting-decision';
import { account, accountId, CLIENT_A, CLIENT_B, EXPIRES_AT, NOW, request } from './posting.fixture';

const NUM_RUNS = 200;
const MAX_STEPS = 80;

type Step =
  | { kind: 'pay' | 'hold'; from: number; to: number; amountMinor: bigint; byOwner: boolean }
  | { kind: 'capture'; target: number; amountMinor: bigint }
  | { kind: 'release'; target: number; release: 'VOID' | 'EXPIRY' }
  | { kind: 'refund'; target: number; amountMinor: bigint };

const indexArb = fc.integer({ min: 0, max: 5 });
const amountArb = fc.bigInt({ min: 1n, max: 3_000n });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('pay' as const, 'hold' as const),
    from: indexArb,
    to: indexArb,
    amountMinor: amountArb,
    byOwner: fc.oneof(
      { arbitrary: fc.constant(true), weight: 5 },
      { arbitrary: fc.constant(false), weight: 1 },
    ),
  }),
  fc.record({ kind: fc.constant('capture' as const), target: fc.nat(), amountMinor: amountArb }),
  fc.record({
    kind: fc.constant('release' as const),
    target: fc.nat(),
    release: fc.constantFrom('VOID' as const, 'EXPIRY' as const),
  }),
  fc.record({ kind: fc.constant('refund' as const), target: fc.nat(), amountMinor: amountArb }),
);

const worldArb = fc.record({
  starts: fc.array(fc.bigInt({ min: 0n, max: 10_000n }), { minLength: 5, maxLength: 5 }),
  owners: fc.array(fc.constantFrom(CLIENT_A, CLIENT_B), { minLength: 5, maxLength: 5 }),
  steps: fc.array(stepArb, { maxLength: MAX_STEPS, size: 'max' }),
});

/** A payment (or captured hold) that posted, as the ledger would read it for a refund. */
interface Posted {
  transferId: string;
  payment: RefundablePayment;
}

const seen = {
  holds: 0,
  captures: 0,
  releases: 0,
  duplicates: 0,
  refunds: 0,
  refundsRefused: 0,
  refusals: 0,
};

function runWorld({ starts, owners, steps }: { starts: bigint[]; owners: string[]; steps: Step[] }): void {
  // Account 1 is a treasury holding the others' starting money, so the world sums to zero.
  const total = starts.reduce((sum, start) => sum + start, 0n);
  const accounts = new Map<string, AccountSnapshot>();
  accounts.set(accountId(1), account({ id: accountId(1), balanceMinor: -total, allowNegativeBalance: true }));
  starts.forEach((start, i) =>
    accounts.set(
      accountId(i + 2),
      account({ id: accountId(i + 2), ownerClientId: owners[i], balanceMinor: start }),
    ),
  );
  const holds: HoldSnapshot[] = [];
  const posted: Posted[] = [];
  const snapshot = (id: string) => accounts.get(id) ?? null;
  const put = (id: string, change: Partial<AccountSnapshot>) => {
    const current = accounts.get(id);
    if (current === undefined) throw new Error(`no account ${id}`);
    accounts.set(id, { ...current, ...change });
  };

  steps.forEach((step, n) => {
    const transferId = `7d0a3a54-1f2b-4c6e-9a3d-${n.toString(16).padStart(12, '0')}`;
    switch (step.kind) {
      case 'pay':
      case 'hold': {
        // Index 5 names an account that does not exist.
        const fromAccountId = accountId(step.from + 1);
        const owner = accounts.get(fromAccountId)?.ownerClientId ?? CLIENT_A;
        const facts: TransferFacts = request({
          transferId,
          clientId: step.byOwner ? owner : owner === CLIENT_A ? CLIENT_B : CLIENT_A,
          fromAccountId,
          toAccountId: accountId(step.to + 1),
          amountMinor: step.amountMinor,
          ...(step.kind === 'hold' ? { holdExpiresAt: EXPIRES_AT } : {}),
        });
        const pair = { from: snapshot(facts.fromAccountId), to: snapshot(facts.toAccountId) };
        if (step.kind === 'pay') {
          const decision = decidePosting(facts, pair, NOW);
          if (decision.outcome === 'post') {
            put(facts.fromAccountId, { balanceMinor: decision.balancesAfter.from });
            put(facts.toAccountId, { balanceMinor: decision.balancesAfter.to });
            posted.push({ transferId, payment: paymentOf(facts, facts.amountMinor) });
          }
        } else {
          const decision = decideHold(facts, pair, NOW);
          if (decision.outcome === 'hold') {
            put(facts.fromAccountId, { heldMinor: decision.heldAfter });
            holds.push(decision.hold);
            seen.holds += 1;
          }
        }
        break;
      }
      case 'capture':
      case 'release': {
        const hold = holds[step.target % Math.max(holds.length, 1)];
        if (hold === undefined) break;
        const from = snapshot(hold.accountId);
        const heldBefore = from?.heldMinor ?? 0n;
        const facts = { ...factsOf(hold, from), holdExpiresAt: EXPIRES_AT };
        if (step.kind === 'capture') {
          const decision = decideCapture(
            hold,
            { ...facts, captureAmountMinor: step.amountMinor },
            { from, to: snapshot(hold.toAccountId) },
            NOW,
          );
          if (decision.outcome === 'capture') {
            put(hold.accountId, { balanceMinor: decision.balancesAfter.from, heldMinor: decision.heldAfter });
            put(hold.toAccountId, { balanceMinor: decision.balancesAfter.to });
            // The whole hold is freed: what was captured plus what was released is what was held.
            expect(heldBefore - decision.heldAfter).toBe(hold.amountMinor);
            expect(decision.entries[0].amountMinor + (hold.amountMinor - step.amountMinor)).toBe(
              hold.amountMinor,
            );
            holds[holds.indexOf(hold)] = decision.hold;
            posted.push({ transferId: hold.transferId, payment: paymentOf(facts, step.amountMinor) });
            seen.captures += 1;
          } else if (decision.outcome === 'already_captured') {
            expect(hold.capturedMinor).toBe(step.amountMinor);
            seen.duplicates += 1;
          } else {
            expect(hold.status !== 'ACTIVE' || step.amountMinor > hold.amountMinor).toBe(true);
            seen.refusals += 1;
          }
        } else {
          const decision = decideRelease(hold, { ...facts, release: step.release }, from, NOW);
          if (decision.outcome === 'release') {
            put(hold.accountId, { heldMinor: decision.heldAfter });
            expect(heldBefore - decision.heldAfter).toBe(hold.amountMinor);
            holds[holds.indexOf(hold)] = decision.hold;
            seen.releases += 1;
          } else if (decision.outcome === 'already_released') {
            seen.duplicates += 1;
          } else {
            expect(hold.status).not.toBe('ACTIVE');
            seen.refusals += 1;
          }
        }
        break;
      }
      case 'refund': {
        const target = posted[step.target % Math.max(posted.length, 1)];
        if (target === undefined) break;
        const { payment } = target;
        const payee = accounts.get(payment.payeeAccountId);
        const facts = request({
          transferId,
          clientId: payee?.ownerClientId ?? CLIENT_A,
          fromAccountId: payment.payeeAccountId,
          toAccountId: payment.payerAccountId,
          amountMinor: step.amountMinor,
          refundOf: target.transferId,
        });
        const pair = { from: snapshot(facts.fromAccountId), to: snapshot(facts.toAccountId) };
        const decision = decideRefundPosting(facts, pair, payment, NOW);
        if (decision.outcome === 'post') {
          put(facts.fromAccountId, { balanceMinor: decision.balancesAfter.from });
          put(facts.toAccountId, { balanceMinor: decision.balancesAfter.to });
          payment.refundedMinor += step.amountMinor;
          seen.refunds += 1;
        } else if (decision.reason === 'REFUND_EXCEEDS_PAYMENT') {
          expect(payment.refundedMinor + step.amountMinor).toBeGreaterThan(payment.paidMinor);
          seen.refundsRefused += 1;
        }
        break;
      }
    }
    checkWorld(accounts, holds, posted);
  });
}

function checkWorld(accounts: Map<string, AccountSnapshot>, holds: HoldSnapshot[], posted: Posted[]): void {
  let sumMinor = 0n;
  for (const snapshot of accounts.values()) {
    sumMinor += snapshot.balanceMinor;
    // Available never below zero without allowNegativeBalance.
    if (!snapshot.allowNegativeBalance)
      expect(snapshot.balanceMinor - snapshot.heldMinor).toBeGreaterThanOrEqual(0n);
    // Held is the sum of the account's active holds.
    const activeMinor = holds
      .filter((hold) => hold.accountId === snapshot.id && hold.status === 'ACTIVE')
      .reduce((sum, hold) => sum + hold.amountMinor, 0n);
    expect(snapshot.heldMinor).toBe(activeMinor);
  }
  // Money only moves.
  expect(sumMinor).toBe(0n);
  for (const hold of holds) {
    if (hold.status === 'CAPTURED') expect(hold.capturedMinor).toBeLessThanOrEqual(hold.amountMinor);
  }
  for (const { payment } of posted) expect(payment.refundedMinor).toBeLessThanOrEqual(payment.paidMinor);
}

/** The facts transfer-service sends for a step of `hold`, from the payer's owner. */
function factsOf(hold: HoldSnapshot, payer: AccountSnapshot | null): TransferFacts {
  return request({
    transferId: hold.transferId,
    clientId: payer?.ownerClientId ?? CLIENT_A,
    fromAccountId: hold.accountId,
    toAccountId: hold.toAccountId,
    amountMinor: hold.amountMinor,
    currency: hold.currency,
  });
}

function paymentOf(facts: TransferFacts, paidMinor: bigint): RefundablePayment {
  return {
    payerAccountId: facts.fromAccountId,
    payeeAccountId: facts.toAccountId,
    currency: facts.currency,
    paidMinor,
    refundedMinor: 0n,
  };
}

describe('the ledger rules over random sequences of payments, holds, captures, releases and refunds', () => {
  it('conserve money, keep available balances and held amounts right, and never over-refund', () => {
    fc.assert(fc.property(worldArb, runWorld), { numRuns: NUM_RUNS });
    // The generators must reach every path, or the properties above prove little.
    for (const [path, count] of Object.entries(seen))
      expect([path, count > NUM_RUNS / 10]).toEqual([path, true]);
  });
});
