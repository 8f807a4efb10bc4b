// Proves the ledger database itself, not only the code, keeps the books: journal entries and decisions
// cannot be changed or deleted, and a transfer cannot get a second DEBIT, CREDIT or decision.
import { createPrismaClient, createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { LedgerDatabase } from '../database';

describe('the ledger database', () => {
  let database: TestDatabase;
  let prisma: LedgerDatabase;
  const accountId = randomUUID();
  const transferId = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase('ledger');
    prisma = createPrismaClient('ledger', database.url);
    await prisma.account.create({ data: { id: accountId, ownerClientId: 'client-a', currency: 'EUR' } });
    await prisma.journalEntry.create({ data: entry({ direction: 'DEBIT' }) });
    await prisma.ledgerDecision.create({ data: { transferId, outcome: 'POSTED', decidedAt: new Date() } });
  });
  afterAll(async () => {
    await prisma.$disconnect();
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
  ])('refuses to %s', async (_, sql) => {
    await expect(prisma.$executeRawUnsafe(sql)).rejects.toThrow(/append-only/);
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
});
