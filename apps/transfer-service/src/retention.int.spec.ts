// Proves the transfer-service's bookkeeping tables stay bounded: one retention run deletes processed
// message ids past their retention, SENT outbox rows past theirs and expired idempotency keys, and
// keeps everything still needed (recent ids, unsent rows, live keys).
import { PRISMA, RetentionJob } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  startTestService,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { TransferDatabase } from './database';
import { AppModule } from './app.module';

const DAY_MS = 86_400_000;

describe('transfer-service retention', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: TransferDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    prisma = service.app.get<TransferDatabase>(PRISMA);
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);

  async function seed(): Promise<void> {
    await prisma.processedMessage.createMany({
      data: [
        { consumer: 'c', messageId: randomUUID(), processedAt: daysAgo(31) },
        { consumer: 'c', messageId: randomUUID(), processedAt: daysAgo(29) },
      ],
    });
    const outboxRow = (status: 'SENT' | 'PENDING', sentDaysAgo: number | null) => ({
      id: randomUUID(),
      topic: 't',
      key: 'k',
      value: '{}',
      status,
      sentAt: sentDaysAgo === null ? null : daysAgo(sentDaysAgo),
      createdAt: daysAgo(10),
    });
    await prisma.outboxMessage.createMany({
      data: [outboxRow('SENT', 8), outboxRow('SENT', 6), outboxRow('PENDING', null)],
    });
    const key = (expiresInDays: number) => ({
      clientId: 'client-a',
      key: randomUUID(),
      requestFingerprint: 'f'.repeat(64),
      responseStatus: 202,
      responseBody: { id: 'stored' },
      createdAt: daysAgo(2),
      expiresAt: new Date(Date.now() + expiresInDays * DAY_MS),
    });
    await prisma.idempotencyKey.createMany({ data: [key(-1), key(1)] });
  }

  it('deletes what is past retention and keeps the rest', async () => {
    await seed();
    const job = service.app.get(RetentionJob);
    expect(await job.runPass()).toEqual({ processed_messages: 1, outbox_messages: 1, idempotency_keys: 1 });
    expect(await prisma.processedMessage.count()).toBe(1);
    expect(await prisma.outboxMessage.count()).toBe(2);
    expect(await prisma.outboxMessage.count({ where: { status: 'PENDING' } })).toBe(1);
    expect(await prisma.idempotencyKey.count()).toBe(1);
    expect(await job.runPass()).toEqual({ processed_messages: 0, outbox_messages: 0, idempotency_keys: 0 });
  });
});
