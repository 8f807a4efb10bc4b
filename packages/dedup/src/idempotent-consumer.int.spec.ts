// Proves, on the real transfer database, that handleOnce applies a message's effect exactly once
// however many deliveries race, and that an effect that throws leaves no trace, so a retry applies it.
import {
  createPrismaClient,
  createTestDatabase,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { handleOnce } from './idempotent-consumer';
import type { SqlExecutor } from './sql-executor';

describe('handleOnce on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['transfer'];

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    // No unique constraint on purpose: a double effect shows up as a second row.
    await prisma.$executeRawUnsafe(
      `CREATE TABLE test_effects (id bigserial PRIMARY KEY, message_id uuid NOT NULL, note text NOT NULL)`,
    );
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  function readCommitted<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return prisma.$transaction(fn, { isolationLevel: 'ReadCommitted', timeout: 10_000, maxWait: 5_000 });
  }

  /** Inserts one effect row, then lingers so concurrent deliveries really overlap the open transaction. */
  async function writeEffect(tx: SqlExecutor, messageId: string, note: string): Promise<string> {
    await tx.$executeRawUnsafe(
      `INSERT INTO test_effects (message_id, note) VALUES ($1::uuid, $2)`,
      messageId,
      note,
    );
    await tx.$executeRawUnsafe(`SELECT pg_sleep(0.05)`);
    return note;
  }

  async function effectsOf(messageId: string): Promise<string[]> {
    const rows = await prisma.$queryRawUnsafe<{ note: string }[]>(
      `SELECT note FROM test_effects WHERE message_id = $1::uuid ORDER BY id`,
      messageId,
    );
    return rows.map((row) => row.note);
  }

  it('applies the effect once across 20 concurrent deliveries of one message', async () => {
    const messageId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, delivery) =>
        handleOnce({
          consumer: 'ledger.transfer-requested',
          messageId,
          transaction: readCommitted,
          effect: (tx) => writeEffect(tx, messageId, `delivery ${delivery}`),
        }),
      ),
    );

    const processed = results.filter((r) => r.outcome === 'processed');
    expect(processed).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(19);
    await expect(effectsOf(messageId)).resolves.toEqual(processed.map((r) => r.result));
  });

  it('rolls the processed record back with a failing effect, so a retry processes the message', async () => {
    const messageId = randomUUID();
    const deliver = (fail: boolean) =>
      handleOnce({
        consumer: 'ledger.transfer-requested',
        messageId,
        transaction: readCommitted,
        effect: async (tx) => {
          await writeEffect(tx, messageId, fail ? 'failed attempt' : 'retry');
          if (fail) throw new Error('lock timeout');
          return 'done';
        },
      });

    await expect(deliver(true)).rejects.toThrow('lock timeout');
    await expect(effectsOf(messageId)).resolves.toEqual([]);
    await expect(deliver(false)).resolves.toEqual({ outcome: 'processed', result: 'done' });
    await expect(deliver(false)).resolves.toEqual({ outcome: 'duplicate' });
    await expect(effectsOf(messageId)).resolves.toEqual(['retry']);
  });
});
