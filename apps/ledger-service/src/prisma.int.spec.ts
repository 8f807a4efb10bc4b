// Proves the generated Prisma client reads and writes the ledger database through the pg driver
// adapter, and that the database itself (not the code) refuses a duplicate processed-message row.
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { PrismaClient } from './generated/prisma/client';

describe('ledger database through Prisma', () => {
  let database: TestDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    database = await createTestDatabase('ledger');
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  it('writes a row and reads it back', async () => {
    const messageId = randomUUID();
    await prisma.processedMessage.create({ data: { consumer: 'ledger.test', messageId } });
    const found = await prisma.processedMessage.findUnique({
      where: { consumer_messageId: { consumer: 'ledger.test', messageId } },
    });
    expect(found).toMatchObject({ consumer: 'ledger.test', messageId });
    expect(found?.processedAt).toBeInstanceOf(Date);
  });

  it('refuses the same message twice for one consumer with a unique-constraint error', async () => {
    const messageId = randomUUID();
    await prisma.processedMessage.create({ data: { consumer: 'ledger.test', messageId } });
    await expect(
      prisma.processedMessage.create({ data: { consumer: 'ledger.test', messageId } }),
    ).rejects.toMatchObject({
      code: 'P2002',
    });
  });
});
