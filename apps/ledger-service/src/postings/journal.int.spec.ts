// Proves the ledger database itself, not only the code, keeps the books: journal entries and decisions
// cannot be changed or deleted (the service's role lacks the privilege, and the triggers refuse anyone
// who has it), a transfer cannot get a second DEBIT, CREDIT or decision, and the money
// rules hold (positive entry amounts, currency codes, no balance below zero without allowNegativeBalance,
// a hold carrying exactly the settlement fields of its status).
import { createPrismaClient, createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { LedgerDatabase } from '../database';

describe('the ledger database', () => {
  let database: TestDatabase;
  let prisma: LedgerDatabase;
  let superuser: LedgerDatabase;
  const accountId = randomUUID();
  const transferId = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase('ledger');
    prisma = createPrismaClient('ledger', database.url);
    superuser = createPrismaClient('ledger', database.adminUrl);
    await prisma.account.create({ data: { id: accountId, ownerClientId: 'client-a', currency: 'EUR' } });
    await prisma.journalEntry.create({ data: entry({ direction: 'DEBIT' }) });
    await prisma.ledgerDecision.create({ data: { transferId, outcome: 'POSTED', decidedAt: new Date() } });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await superuser.$disconnect();
    await database.drop();
  });

  function entry(overrides: { direction: 'DEBIT' | 'CREDIT' }) {
    return { transferId, accountId, amountMinor: 100n, currency: 'EUR', postedAt: new Date(), ...overrides };
  }

  it.each([
    ['update a journal entry', `UPDATE journal_entries SET amount_minor = 1`],
    ['delete a journal entry', `DELETE FROM journal_entries`],
    ['truncate the journal', `TRUNCATE journal_entries`],
    ['update a decision', `UPDATE ledger_decisions SET outcome = 'REJECTED', reason = 'INSUFFICIENT_FUNDS'`],
    ['delete a decision', `DELETE FROM ledger_decisions`],
  ])('refuses to %s, to the service and to a role with every privilege', async (_, sql) => {
    await expect(prisma.$executeRawUnsafe(sql)).rejects.toThrow(/permission denied/);
    await expect(superuser.$executeRawUnsafe(sql)).rejects.toThrow(/append-only/);
  });

  it('refuses a second DEBIT for the same transfer', async () => {
    await expect(prisma.journalEntry.create({ data: entry({ direction: 'DEBIT' }) })).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('refuses a second decision for the same transfer', async () => {
    await expect(
      prisma.ledgerDecision.create({ data: { transferId, outcome: 'POSTED', decidedAt: new Date() } }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  describe('the money rules', () => {
    it.each([
      [
        'a journal entry of zero',
        `INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at) VALUES (gen_random_uuid(), '${accountId}', 'CREDIT', 0, 'EUR', now())`,
      ],
      [
        'a negative journal entry',
        `INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at) VALUES (gen_random_uuid(), '${accountId}', 'CREDIT', -5, 'EUR', now())`,
      ],
      [
        'a journal entry in a lower-case currency',
        `INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at) VALUES (gen_random_uuid(), '${accountId}', 'CREDIT', 5, 'eur', now())`,
      ],
      [
        'a balance below zero on an account that does not allow one',
        `UPDATE accounts SET balance_minor = -1 WHERE id = '${accountId}'`,
      ],
      [
        'an account in a currency that is not three capital letters',
        `INSERT INTO accounts (id, owner_client_id, currency) VALUES (gen_random_uuid(), 'client-a', 'E1R')`,
      ],
    ])('refuses %s', async (_, sql) => {
      await expect(prisma.$executeRawUnsafe(sql)).rejects.toThrow(
        /23514|check_violation|must be|without allow_negative_balance/,
      );
    });

    // One hold per statement: the rules are checked row by row, before the row is written.
    const hold = (status: string, captured: string, release: string, settledAt: string) =>
      `INSERT INTO holds (transfer_id, account_id, to_account_id, amount_minor, currency, status, expires_at,
                         captured_minor, release, placed_at, settled_at)
       VALUES (gen_random_uuid(), '${accountId}', '${accountId}', 100, 'EUR', '${status}', now() + interval '1 day',
               ${captured}, ${release}, now(), ${settledAt})`;

    it.each([
      ['a CAPTURED hold without a captured amount', hold('CAPTURED', 'NULL', 'NULL', 'now()')],
      ['a CAPTURED hold capturing more than it held', hold('CAPTURED', '101', 'NULL', 'now()')],
      ['a RELEASED hold without its release', hold('RELEASED', 'NULL', 'NULL', 'now()')],
      ['an ACTIVE hold already settled', hold('ACTIVE', 'NULL', 'NULL', 'now()')],
    ])('refuses %s', async (_, sql) => {
      await expect(prisma.$executeRawUnsafe(sql)).rejects.toThrow(
        /hold \S+ is (CAPTURED|RELEASED|ACTIVE) with/,
      );
    });

    it('takes a hold that carries exactly the settlement of its status', async () => {
      await expect(prisma.$executeRawUnsafe(hold('ACTIVE', 'NULL', 'NULL', 'NULL'))).resolves.toBe(1);
      await expect(prisma.$executeRawUnsafe(hold('CAPTURED', '100', 'NULL', 'now()'))).resolves.toBe(1);
      await expect(prisma.$executeRawUnsafe(hold('RELEASED', 'NULL', "'VOID'", 'now()'))).resolves.toBe(1);
    });

    it('lets a treasury go below zero', async () => {
      const treasury = randomUUID();
      await prisma.account.create({
        data: { id: treasury, ownerClientId: 'operator', currency: 'EUR', allowNegativeBalance: true },
      });
      await expect(
        prisma.$executeRawUnsafe(`UPDATE accounts SET balance_minor = -100 WHERE id = '${treasury}'`),
      ).resolves.toBe(1);
    });
  });
});
