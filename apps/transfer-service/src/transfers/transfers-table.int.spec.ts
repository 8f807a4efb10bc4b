// Proves the transfer database holds the money rules of a transfer itself, whatever code writes to it:
// a positive amount, a currency code, and two different accounts for a new transfer; what a transfer is
// never changes, only its progress does; and a final status, with its reason, is final.
import { createPrismaClient, createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
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

  const insert = (
    fields: { id?: string; amount?: string; currency?: string; sameAccount?: boolean; status?: string } = {},
  ) =>
    prisma.$executeRawUnsafe(
      `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                              failure_reason, version, last_event_id, correlation_id, created_at, updated_at)
       SELECT $4::uuid, 'client-a', a, CASE WHEN $3 THEN a ELSE gen_random_uuid() END, $1::bigint, $2,
              $5::transfer_status, CASE WHEN $5 = 'FAILED' THEN 'INSUFFICIENT_FUNDS' END, 1, gen_random_uuid(),
              'c', now(), now()
         FROM gen_random_uuid() AS a`,
      fields.amount ?? '100',
      fields.currency ?? 'EUR',
      fields.sameAccount ?? false,
      fields.id ?? randomUUID(),
      fields.status ?? 'PENDING',
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

  it.each(
    [
      ['its amount', `amount_minor = 5`],
      ['its payer', `from_account_id = gen_random_uuid()`],
      ['its payee', `to_account_id = gen_random_uuid()`],
      ['its currency', `currency = 'USD'`],
      ['its correlation id', `correlation_id = 'another'`],
      ['its client', `client_id = 'client-b'`],
      ['its reference', `reference = 'another'`],
      ['its hold expiry', `hold_expires_at = now()`],
      ['the payment it refunds', `refund_of = gen_random_uuid()`],
      ['when it was made', `created_at = now() - interval '1 day'`],
    ].flatMap(([what, assignment]) =>
      ['PENDING', 'FAILED'].map((status) => [what!, status, assignment!] as const),
    ),
  )('refuses a change of %s (a transfer %s)', async (_, status, assignment) => {
    const id = randomUUID();
    await insert({ id, status });
    await expect(
      prisma.$executeRawUnsafe(`UPDATE transfers SET ${assignment} WHERE id = $1::uuid`, id),
    ).rejects.toThrow(/only its progress may change/);
  });

  it.each([
    ['COMPLETED', `status = 'FAILED', failure_reason = 'INSUFFICIENT_FUNDS'`],
    ['COMPLETED', `status = 'PENDING'`],
    ['FAILED', `failure_reason = 'ACCOUNT_NOT_FOUND'`],
  ])('refuses to change the outcome of a transfer %s', async (status, assignment) => {
    const id = randomUUID();
    await insert({ id, status });
    await expect(
      prisma.$executeRawUnsafe(`UPDATE transfers SET ${assignment} WHERE id = $1::uuid`, id),
    ).rejects.toThrow(/already ended .*; its outcome never changes/);
  });

  it('lets a transfer progress, and an ended one record a later event', async () => {
    const id = randomUUID();
    await insert({ id });
    const progress = (assignment: string) =>
      prisma.$executeRawUnsafe(`UPDATE transfers SET ${assignment} WHERE id = $1::uuid`, id);
    await expect(progress(`status = 'COMPLETED', version = 2, updated_at = now()`)).resolves.toBe(1);
    await expect(progress(`version = 3, last_event_id = gen_random_uuid()`)).resolves.toBe(1);
  });
});
