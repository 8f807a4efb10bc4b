// Proves each posting rule by example: the exact entries and balances of a post, every rejection reason
// and which one wins when several apply, and that broken inputs and 64-bit overflows throw, not return.
import { MAX_AMOUNT_MINOR, type RejectionReason, type TransferFacts } from '@oncepay/contracts';
import { decidePosting } from './decide-posting';
import { MAX_INT64, MIN_INT64 } from './invariants';
import type { AccountSnapshot, JournalEntryDraft } from './posting-decision';
import { signedAmountMinor } from './posting-decision';
import {
  account,
  accountId,
  CLIENT_A,
  CLIENT_B,
  FROM,
  FROM_ID,
  NOW,
  request,
  TO,
  TO_ID,
  TRANSFER_ID,
} from './posting.fixture';

type Accounts = { from: AccountSnapshot | null; to: AccountSnapshot | null };

describe('decidePosting: a transfer that posts', () => {
  it('yields one DEBIT on from and one CREDIT on to, at now, and both balances after', () => {
    expect(decidePosting(request(), { from: FROM, to: TO }, NOW)).toStrictEqual({
      outcome: 'post',
      entries: [
        {
          transferId: TRANSFER_ID,
          accountId: FROM_ID,
          amountMinor: 2_500n,
          direction: 'DEBIT',
          currency: 'EUR',
          postedAt: NOW,
        },
        {
          transferId: TRANSFER_ID,
          accountId: TO_ID,
          amountMinor: 2_500n,
          direction: 'CREDIT',
          currency: 'EUR',
          postedAt: NOW,
        },
      ],
      balancesAfter: { from: 7_500n, to: 3_000n },
    });
  });

  it('posts when the debit leaves exactly zero', () => {
    const decision = decidePosting(request({ amountMinor: 10_000n }), { from: FROM, to: TO }, NOW);
    expect(decision.outcome === 'post' && decision.balancesAfter).toStrictEqual({ from: 0n, to: 10_500n });
  });

  it('lets a treasury account (allowNegativeBalance) go below zero: how money enters the system', () => {
    const treasury = account({ balanceMinor: 0n, allowNegativeBalance: true });
    const decision = decidePosting(
      request({ amountMinor: MAX_AMOUNT_MINOR }),
      { from: treasury, to: { ...TO, balanceMinor: 0n } },
      NOW,
    );
    expect(decision.outcome === 'post' && decision.balancesAfter).toStrictEqual({
      from: -MAX_AMOUNT_MINOR,
      to: MAX_AMOUNT_MINOR,
    });
  });

  it('credits an account opened by another client, and one opened by the same client', () => {
    const ownTo = account({ id: TO_ID, ownerClientId: CLIENT_A });
    expect(decidePosting(request(), { from: FROM, to: TO }, NOW).outcome).toBe('post');
    expect(decidePosting(request(), { from: FROM, to: ownTo }, NOW).outcome).toBe('post');
  });

  it('gives each entry its own copy of now and changes none of its inputs', () => {
    const now = new Date(NOW.getTime());
    const input = Object.freeze(request());
    const accounts = Object.freeze({ from: Object.freeze(account()), to: Object.freeze({ ...TO }) });
    const decision = decidePosting(input, accounts, now);
    if (decision.outcome !== 'post') throw new Error(`expected post, got ${decision.outcome}`);
    now.setUTCFullYear(2030);
    decision.entries[0].postedAt.setUTCFullYear(2031);
    expect(decision.entries[1].postedAt).toStrictEqual(NOW);
    expect(accounts.from.balanceMinor).toBe(10_000n);
    expect(accounts.to.balanceMinor).toBe(500n);
  });

  it('signs entries by direction: a DEBIT lowers the balance, a CREDIT raises it', () => {
    const entry: JournalEntryDraft = {
      transferId: TRANSFER_ID,
      accountId: FROM_ID,
      amountMinor: 7n,
      direction: 'DEBIT',
      currency: 'EUR',
      postedAt: NOW,
    };
    expect(signedAmountMinor(entry)).toBe(-7n);
    expect(signedAmountMinor({ ...entry, direction: 'CREDIT' })).toBe(7n);
  });
});

describe('decidePosting: each rejection reason on its own', () => {
  it.each<[string, TransferFacts, Accounts, RejectionReason]>([
    [
      'from and to are the same account',
      request({ toAccountId: FROM_ID }),
      { from: FROM, to: FROM },
      'SAME_ACCOUNT',
    ],
    ['the from account does not exist', request(), { from: null, to: TO }, 'ACCOUNT_NOT_FOUND'],
    ['the to account does not exist', request(), { from: FROM, to: null }, 'ACCOUNT_NOT_FOUND'],
    ['neither account exists', request(), { from: null, to: null }, 'ACCOUNT_NOT_FOUND'],
    [
      'another client debits the from account (it looks missing to them)',
      request({ clientId: CLIENT_B }),
      { from: FROM, to: TO },
      'ACCOUNT_NOT_FOUND',
    ],
    [
      'the from account holds another currency',
      request(),
      { from: account({ currency: 'USD' }), to: TO },
      'CURRENCY_MISMATCH',
    ],
    [
      "the client's own to account holds another currency",
      request(),
      { from: FROM, to: account({ id: TO.id, currency: 'USD' }) },
      'CURRENCY_MISMATCH',
    ],
    [
      "another client's to account holds another currency (it looks missing)",
      request(),
      { from: FROM, to: { ...TO, currency: 'USD' } },
      'ACCOUNT_NOT_FOUND',
    ],
    [
      'the request is in another currency than both accounts',
      request({ currency: 'USD' }),
      { from: FROM, to: account({ id: TO.id }) },
      'CURRENCY_MISMATCH',
    ],
    [
      'the debit would take the from account one minor unit below zero',
      request({ amountMinor: 10_001n }),
      { from: FROM, to: TO },
      'INSUFFICIENT_FUNDS',
    ],
    [
      'the from account is already below zero (allowNegativeBalance turned off since)',
      request({ amountMinor: 1n }),
      { from: account({ balanceMinor: -5n }), to: TO },
      'INSUFFICIENT_FUNDS',
    ],
  ])('rejects when %s', (_case, transfer, accounts, reason) => {
    expect(decidePosting(transfer, accounts, NOW)).toStrictEqual({ outcome: 'reject', reason });
  });
});

describe('decidePosting: precedence when several rules apply', () => {
  // Each row breaks the named rule and every rule after it; the first in the documented order wins.
  const foreignEmptyUsd = account({ ownerClientId: CLIENT_B, currency: 'USD', balanceMinor: 0n });
  it.each<[RejectionReason, string, TransferFacts, Accounts]>([
    ['SAME_ACCOUNT', 'over ACCOUNT_NOT_FOUND', request({ toAccountId: FROM_ID }), { from: null, to: null }],
    [
      'SAME_ACCOUNT',
      'over ACCOUNT_NOT_FOUND, CURRENCY_MISMATCH and INSUFFICIENT_FUNDS',
      request({ toAccountId: FROM_ID }),
      { from: foreignEmptyUsd, to: foreignEmptyUsd },
    ],
    [
      'ACCOUNT_NOT_FOUND',
      'over CURRENCY_MISMATCH and INSUFFICIENT_FUNDS (the from account missing)',
      request(),
      { from: null, to: { ...TO, currency: 'USD' } },
    ],
    [
      'ACCOUNT_NOT_FOUND',
      'over CURRENCY_MISMATCH and INSUFFICIENT_FUNDS (the from account not owned)',
      request(),
      { from: foreignEmptyUsd, to: { ...TO, currency: 'USD' } },
    ],
    [
      'CURRENCY_MISMATCH',
      'over INSUFFICIENT_FUNDS (the from account in another currency)',
      request(),
      { from: account({ balanceMinor: 0n, currency: 'GBP' }), to: TO },
    ],
    [
      'INSUFFICIENT_FUNDS',
      'over a missing to account: the payer learns nothing about the payee',
      request(),
      { from: account({ balanceMinor: 0n }), to: null },
    ],
    [
      'INSUFFICIENT_FUNDS',
      "over another client's to account in another currency",
      request(),
      { from: account({ balanceMinor: 0n }), to: { ...TO, currency: 'USD' } },
    ],
  ])('%s wins %s', (reason, _over, transfer, accounts) => {
    expect(decidePosting(transfer, accounts, NOW)).toStrictEqual({ outcome: 'reject', reason });
  });
});

describe('decidePosting: a balance leaving 64 bits is refused as BALANCE_OUT_OF_RANGE', () => {
  it('refuses a credit that would take the to account above 2^63-1', () => {
    const full = { ...TO, balanceMinor: MAX_INT64 };
    expect(decidePosting(request({ amountMinor: 1n }), { from: FROM, to: full }, NOW)).toStrictEqual({
      outcome: 'reject',
      reason: 'BALANCE_OUT_OF_RANGE',
    });
  });

  it('refuses a debit that would take a treasury account below -2^63', () => {
    const treasury = account({ balanceMinor: MIN_INT64, allowNegativeBalance: true });
    expect(decidePosting(request({ amountMinor: 1n }), { from: treasury, to: TO }, NOW)).toStrictEqual({
      outcome: 'reject',
      reason: 'BALANCE_OUT_OF_RANGE',
    });
  });

  it("refuses a debit that would take a treasury account's available balance below -2^63", () => {
    // balance - amount fits, but balance - held, which the database checks on every write, would not.
    const empty = { ...TO, balanceMinor: 0n };
    const treasury = account({ balanceMinor: 0n, heldMinor: 10n, allowNegativeBalance: true });
    expect(
      decidePosting(request({ amountMinor: MAX_INT64 }), { from: treasury, to: empty }, NOW),
    ).toStrictEqual({
      outcome: 'reject',
      reason: 'BALANCE_OUT_OF_RANGE',
    });
    const lessHeld = account({ balanceMinor: 0n, heldMinor: 1n, allowNegativeBalance: true });
    expect(
      decidePosting(request({ amountMinor: MAX_INT64 }), { from: lessHeld, to: empty }, NOW),
    ).toMatchObject({
      outcome: 'post',
      balancesAfter: { from: -MAX_INT64, to: MAX_INT64 },
    });
  });

  it('posts right up to the edges of the range', () => {
    const treasury = account({ balanceMinor: MIN_INT64 + 1n, allowNegativeBalance: true });
    const nearlyFull = { ...TO, balanceMinor: MAX_INT64 - 1n };
    const decision = decidePosting(request({ amountMinor: 1n }), { from: treasury, to: nearlyFull }, NOW);
    expect(decision.outcome === 'post' && decision.balancesAfter).toStrictEqual({
      from: MIN_INT64,
      to: MAX_INT64,
    });
  });
});

describe('decidePosting: inputs the contracts and the repository rule out are bugs, and throw', () => {
  it.each<[string, TransferFacts, Accounts, Date]>([
    ['a zero amount', request({ amountMinor: 0n }), { from: FROM, to: TO }, NOW],
    ['a negative amount', request({ amountMinor: -1n }), { from: FROM, to: TO }, NOW],
    ['an amount above 2^63-1', request({ amountMinor: MAX_AMOUNT_MINOR + 1n }), { from: FROM, to: TO }, NOW],
    ['an invalid Date', request(), { from: FROM, to: TO }, new Date(Number.NaN)],
    ['the snapshot of another from account', request(), { from: account({ id: accountId(9) }), to: TO }, NOW],
    ['the snapshot of another to account', request(), { from: FROM, to: { ...TO, id: accountId(9) } }, NOW],
    [
      'a balance outside 64 bits',
      request(),
      { from: FROM, to: { ...TO, balanceMinor: MAX_INT64 + 1n } },
      NOW,
    ],
  ])('throws an invariant violation for %s', (_case, transfer, accounts, now) => {
    expect(() => decidePosting(transfer, accounts, now)).toThrow(/posting-rules invariant violated/);
  });

  it('checks the preconditions before any rule, so a bug is never reported as a rejection', () => {
    const transfer = request({ toAccountId: FROM_ID, amountMinor: 0n });
    expect(() => decidePosting(transfer, { from: null, to: null }, NOW)).toThrow(/amountMinor 0/);
  });
});
