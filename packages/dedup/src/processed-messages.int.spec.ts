// Proves, on the real transfer database, that the processed-message log tells a first delivery from a
// duplicate per consumer, that a concurrent duplicate waits for the first and then sees `duplicate`
// (or `first` when the first rolls back), and that retention cleanup deletes only old rows, in bounded batches.
import {
  createPrismaClient,
  createTestDatabase,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { executorOfPrisma, type SqlExecutor } from '@oncepay/sql';
import { randomUUID } from 'node:crypto';
import { purgeProcessedMessages, recordProcessed } from './processed-messages';

describe('processed messages on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['transfer'];
  let db: SqlExecutor;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    db = executorOfPrisma(prisma);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  const options = { isolationLevel: 'ReadCommitted', timeout: 10_000, maxWait: 5_000 } as const;

  it('answers first, then duplicate, separately for each consumer', async () => {
    const messageId = randomUUID();
    await expect(recordProcessed(db, 'ledger.a', messageId)).resolves.toBe('first');
    await expect(recordProcessed(db, 'ledger.a', messageId)).resolves.toBe('duplicate');
    await expect(recordProcessed(db, 'ledger.b', messageId)).resolves.toBe('first');
  });

  it.each([
    ['commits', 'duplicate'],
    ['rolls back', 'first'],
  ] as const)('makes a concurrent duplicate wait, then answer as the first %s', async (ending, expected) => {
    const messageId = randomUUID();
    let finishFirst!: () => void;
    const firstMayFinish = new Promise<void>((resolve) => (finishFirst = resolve));
    let firstRecorded!: () => void;
    const recorded = new Promise<void>((resolve) => (firstRecorded = resolve));

    const first = prisma.$transaction(async (tx) => {
      expect(await recordProcessed(executorOfPrisma(tx), 'waits', messageId)).toBe('first');
      firstRecorded();
      await firstMayFinish;
      if (ending === 'rolls back') throw new Error('effect failed');
    }, options);
    await recorded;
    let secondSettled = false;
    const second = prisma
      .$transaction((tx) => recordProcessed(executorOfPrisma(tx), 'waits', messageId), options)
      .finally(() => (secondSettled = true));

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondSettled).toBe(false);
    finishFirst();
    await Promise.allSettled([first]);
    await expect(second).resolves.toBe(expected);
  });

  it('purges only rows older than the cutoff, at most batchSize * maxBatches per call', async () => {
    const now = new Date();
    await prisma.$executeRawUnsafe(
      `INSERT INTO processed_messages (consumer, message_id, processed_at)
       SELECT $1, gen_random_uuid(), $2::timestamptz - make_interval(days => 8) FROM generate_series(1, 25)`,
      'purge.old',
      now.toISOString(),
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO processed_messages (consumer, message_id, processed_at)
       SELECT $1, gen_random_uuid(), $2::timestamptz - make_interval(days => 6) FROM generate_series(1, 5)`,
      'purge.recent',
      now.toISOString(),
    );
    const olderThan = new Date(now.getTime() - 7 * 24 * 60 * 60 * 1000);

    await expect(purgeProcessedMessages(db, { olderThan, batchSize: 10, maxBatches: 2 })).resolves.toBe(20);
    await expect(purgeProcessedMessages(db, { olderThan, batchSize: 10, maxBatches: 2 })).resolves.toBe(5);
    await expect(purgeProcessedMessages(db, { olderThan, batchSize: 10, maxBatches: 2 })).resolves.toBe(0);
    await expect(countRows('purge.old')).resolves.toBe(0);
    await expect(countRows('purge.recent')).resolves.toBe(5);
  });

  async function countRows(consumer: string): Promise<number> {
    const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM processed_messages WHERE consumer = $1`,
      consumer,
    );
    return rows[0]?.n ?? -1;
  }
});
