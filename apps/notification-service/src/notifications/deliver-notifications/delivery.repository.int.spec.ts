// Proves, on the real notification database, that one recordAttempts statement records a pass by
// position: each row whose claim still holds moves to its next step with its attempt row, a row
// re-claimed meanwhile (attempt number moved on) is left alone without an attempt row, and a
// notification listed twice is refused before anything is written.
import { executorOfPrisma } from '@oncepay/sql';
import {
  createPgDatabase,
  createPrismaClient,
  createTestDatabase,
  sampleTransferCompleted,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { RecordOutcomeHandler } from '../record-outcome/record-outcome.handler';
import { DeliveryRepository, type AttemptRecord, type ClaimedNotification } from './delivery.repository';

const LEASE_MS = 60_000;

describe('DeliveryRepository.recordAttempts on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  let repository: DeliveryRepository;

  /** The service's own way in for the consumer: node-postgres on a pool. */
  let pg: ReturnType<typeof createPgDatabase>;

  beforeEach(async () => {
    database = await createTestDatabase('notification');
    prisma = createPrismaClient('notification', database.url);
    pg = createPgDatabase(database.url);
    repository = new DeliveryRepository(executorOfPrisma(prisma));
  });
  afterEach(async () => {
    await prisma.$disconnect();
    await pg.end();
    await database.drop();
  });

  /** Creates `count` notifications and claims them all, in creation order. */
  async function claimNew(count: number): Promise<ClaimedNotification[]> {
    const handler = new RecordOutcomeHandler(pg.db);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = await handler.execute(sampleTransferCompleted());
      if (result.outcome !== 'recorded') throw new Error(`expected recorded, got ${result.outcome}`);
      ids.push(result.notificationId);
    }
    const claimed = await repository.claimDue(count, LEASE_MS);
    expect(claimed.map((row) => row.id).sort()).toEqual([...ids].sort());
    return ids.map((id) => claimed.find((row) => row.id === id) as ClaimedNotification);
  }

  const attemptOf = (row: ClaimedNotification, fields: Pick<AttemptRecord, 'result' | 'next'>) => ({
    notificationId: row.id,
    attemptNumber: row.attemptNumber,
    channel: 'scripted',
    attemptedAt: new Date(),
    ...fields,
  });

  it('records each row by position and skips the one whose claim was lost', async () => {
    const [retried, lost, rejected] = await claimNew(3);
    if (!retried || !lost || !rejected) throw new Error('expected three claimed notifications');
    // The lease ran out and another dispatcher claimed `lost` again: its attempt number moved on.
    await prisma.$executeRawUnsafe(
      `UPDATE notifications SET attempts = attempts + 1 WHERE id = $1::uuid`,
      lost.id,
    );

    const outcomes = await repository.recordAttempts([
      attemptOf(retried, {
        result: { outcome: 'failed', retriable: true, error: 'HTTP 503', responseStatus: 503 },
        next: { status: 'PENDING', retryInMs: 5_000 },
      }),
      attemptOf(lost, { result: { outcome: 'delivered' }, next: { status: 'DELIVERED' } }),
      attemptOf(rejected, {
        result: { outcome: 'failed', retriable: false, error: 'HTTP 400', responseStatus: 400 },
        next: { status: 'GAVE_UP', because: 'non_retriable' },
      }),
    ]);

    expect(outcomes).toEqual(['recorded', 'claim_lost', 'recorded']);
    const rows = await prisma.notification.findMany({
      where: { id: { in: [retried.id, lost.id, rejected.id] } },
    });
    const rowOf = (id: string) => rows.find((row) => row.id === id);
    expect(rowOf(retried.id)).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'HTTP 503' });
    expect(rowOf(lost.id)).toMatchObject({
      status: 'PENDING',
      attempts: 2,
      lastError: null,
      deliveredAt: null,
    });
    expect(rowOf(rejected.id)).toMatchObject({ status: 'GAVE_UP', attempts: 1, lastError: 'HTTP 400' });
    // The retry replaced the 60 s lease with its own 5 s delay.
    const retryInMs = (rowOf(retried.id)?.nextAttemptAt.getTime() ?? 0) - Date.now();
    expect(retryInMs).toBeGreaterThan(4_000);
    expect(retryInMs).toBeLessThan(6_000);
    const attempts = await prisma.deliveryAttempt.findMany();
    expect(attempts).toHaveLength(2);
    expect(attempts.find((a) => a.notificationId === retried.id)).toMatchObject({
      attemptNumber: 1,
      channel: 'scripted',
      succeeded: false,
      error: 'HTTP 503',
      responseStatus: 503,
    });
    expect(attempts.find((a) => a.notificationId === rejected.id)).toMatchObject({
      attemptNumber: 1,
      succeeded: false,
      error: 'HTTP 400',
      responseStatus: 400,
    });
  });

  it('refuses a notification listed twice and writes nothing', async () => {
    const [row] = await claimNew(1);
    if (!row) throw new Error('expected a claimed notification');
    const delivered = attemptOf(row, { result: { outcome: 'delivered' }, next: { status: 'DELIVERED' } });

    await expect(repository.recordAttempts([delivered, delivered])).rejects.toThrow(/twice/);

    await expect(prisma.notification.findUniqueOrThrow({ where: { id: row.id } })).resolves.toMatchObject({
      status: 'PENDING',
      attempts: 1,
    });
    await expect(prisma.deliveryAttempt.count()).resolves.toBe(0);
    await expect(repository.recordAttempts([])).resolves.toEqual([]);
  });
});
