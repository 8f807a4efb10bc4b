// Proves the transfer database holds the money rules of a transfer itself, whatever code writes to it:
// a positive amount, a currency code, and two different accounts for a new transfer.
import { createPrismaClient, createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import type { TransferDatabase } from '../database';

describe('the transfers table', () => {
  let database: TestDatabase;
  let prisma: TransferDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  const insert = (fields: { amount?: string; currency?: string; sameAccount?: boolean }) =>
    prisma.$executeRawUnsafe(
      `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                              version, last_event_id, correlation_id, created_at, updated_at)
       SELECT gen_random_uuid(), 'client-a', a, CASE WHEN $3 THEN a ELSE gen_random_uuid() END, $1::bigint, $2,
              'PENDING', 1, gen_random_uuid(), 'c', now(), now()
         FROM gen_random_uuid() AS a`,
      fields.amount ?? '100',
      fields.currency ?? 'EUR',
      fields.sameAccount ?? false,
    );

  it('takes a transfer that keeps the rules', async () => {
    await expect(insert({})).resolves.toBe(1);
  });

  it.each([
    ['a zero amount', { amount: '0' }],
    ['a negative amount', { amount: '-1' }],
    ['a currency that is not three capital letters', { currency: 'eur' }],
    ['the same account on both sides', { sameAccount: true }],
  ])('refuses %s', async (_, fields) => {
    await expect(insert(fields)).rejects.toThrow(/must be positive|three capital letters|same account/);
  });
});
