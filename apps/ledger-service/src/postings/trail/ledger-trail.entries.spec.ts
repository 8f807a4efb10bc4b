// Proves the ledger's own trail entries: the one decision with its reason, a journal posting, and a
// hold as placed and, once settled, how it ended.
import { decisionEntry, holdEntries, postingEntry } from './ledger-trail.entries';

describe('ledger trail entries', () => {
  it('states the decision and its reason', () => {
    expect(
      decisionEntry({
        outcome: 'REJECTED',
        reason: 'INSUFFICIENT_FUNDS',
        decided_at: new Date('2026-11-30T10:00:00.000Z'),
        refund_of: null,
      }),
    ).toEqual({
      at: '2026-11-30T10:00:00.000Z',
      kind: 'decision',
      summary: 'Decided the transfer once: REJECTED (INSUFFICIENT_FUNDS).',
      status: 'REJECTED',
    });
  });

  it('states a posting with its direction and exact amount', () => {
    expect(
      postingEntry({
        account_id: 'acc',
        direction: 'DEBIT',
        amount_minor: '1250',
        currency: 'EUR',
        posted_at: new Date('2026-11-30T10:00:00.000Z'),
      }),
    ).toMatchObject({
      kind: 'posting',
      status: 'DEBIT',
      summary: 'Journal: DEBIT 1250 EUR minor units on account acc.',
    });
  });

  it('gives a hold one entry while active, two once it ended', () => {
    const hold = {
      account_id: 'acc',
      amount_minor: '500',
      currency: 'EUR',
      status: 'ACTIVE',
      captured_minor: null,
      release: null,
      placed_at: new Date('2026-11-30T10:00:00.000Z'),
      settled_at: null,
    };
    expect(holdEntries(hold).map((e) => e.status)).toEqual(['ACTIVE']);
    const captured = holdEntries({
      ...hold,
      status: 'CAPTURED',
      captured_minor: '200',
      settled_at: new Date('2026-11-30T10:01:00.000Z'),
    });
    expect(captured.map((e) => e.status)).toEqual(['ACTIVE', 'CAPTURED']);
    expect(captured[1]?.summary).toBe('The hold was captured 200 of 500 minor units, the rest released.');
  });
});
