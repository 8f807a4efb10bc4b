// Proves, on the real transfer database, that handleOnce applies a message's effect exactly once
// however many deliveries race, and that an effect that throws leaves no trace, so a retry applies it;
// and that handleBatchOnce does the same for batches, duplicates inside one batch and racing batches included,
// keeping where each message was read and recording each duplicate delivery it absorbed (the transfer trail).
import {
  createPrismaClient,
  createTestDatabase,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { handleBatchOnce, handleOnce } from './idempotent-consumer';
import { executorOfPrisma, type SqlExecutor } from '@oncepay/sql';

describe('handleOnce on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['transfer'];

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    // No unique constraint on purpose: a double effect shows up as a second row.
    await database.createTable(
      'test_effects',
      'id bigserial PRIMARY KEY, message_id uuid NOT NULL, note text NOT NULL',
    );
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  function readCommitted<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return prisma.$transaction((tx) => fn(executorOfPrisma(tx)), {
      isolationLevel: 'ReadCommitted',
      timeout: 10_000,
      maxWait: 5_000,
    });
  }

  /** Inserts one effect row, then lingers so concurrent deliveries really overlap the open transaction. */
  async function writeEffect(tx: SqlExecutor, messageId: string, note: string): Promise<string> {
    await tx.execute(`INSERT INTO test_effects (message_id, note) VALUES ($1::uuid, $2)`, messageId, note);
    await tx.execute(`SELECT pg_sleep(0.05)`);
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

  describe('handleBatchOnce', () => {
    const batchOf = (ids: string[]) => ids.map((id) => ({ id }));

    it('applies each message of a batch once, in order, skipping ids seen before or twice in the batch', async () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const order: string[] = [];
      const deliver = (ids: string[]) =>
        handleBatchOnce({
          consumer: 'ledger.transfer-requested',
          messages: batchOf(ids),
          transaction: readCommitted,
          effect: async (tx, message) => {
            order.push(message.id);
            return writeEffect(tx, message.id, 'batch');
          },
        });

      const first = await deliver([a, b, a.toUpperCase()]);
      expect(first.map((r) => r.outcome)).toEqual(['processed', 'processed', 'duplicate']);
      const second = await deliver([b, c, a]);
      expect(second.map((r) => r.outcome)).toEqual(['duplicate', 'processed', 'duplicate']);
      expect(order).toEqual([a, b, c]);
      for (const id of [a, b, c]) await expect(effectsOf(id)).resolves.toEqual(['batch']);
    });

    it('keeps where each message was read, and records every duplicate delivery with where it was read', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const aggregateId = randomUUID();
      const consumer = `trail-${randomUUID()}`;
      let offset = 40;
      const deliver = (ids: string[], failing = false) =>
        handleBatchOnce({
          consumer,
          messages: ids.map((id) => ({ id, offset: String(offset++) })),
          transaction: readCommitted,
          positionOf: (message) => ({
            aggregateId,
            topic: 'trail.topic',
            partition: 2,
            offset: message.offset,
          }),
          effect: async (tx, message) => {
            if (failing) throw new Error('bad batch');
            return writeEffect(tx, message.id, 'trail');
          },
        });

      await deliver([a, b, a]); // offsets 40, 41, 42: the second a is absorbed at 42
      await deliver([b]); // offset 43
      await expect(deliver([a, randomUUID()], true)).rejects.toThrow('bad batch'); // 44, 45: rolled back
      const processed = await prisma.$queryRawUnsafe<{ id: string; topic: string; p: number; o: string }[]>(
        `SELECT message_id::text AS id, topic, kafka_partition AS p, kafka_offset::text AS o
           FROM processed_messages WHERE consumer = $1 ORDER BY kafka_offset`,
        consumer,
      );
      expect(processed).toEqual([
        { id: a, topic: 'trail.topic', p: 2, o: '40' },
        { id: b, topic: 'trail.topic', p: 2, o: '41' },
      ]);
      const absorbed = await prisma.$queryRawUnsafe<{ id: string; aggregate: string; o: string }[]>(
        `SELECT message_id::text AS id, aggregate_id::text AS aggregate, kafka_offset::text AS o
           FROM absorbed_duplicates WHERE consumer = $1 ORDER BY kafka_offset`,
        consumer,
      );
      expect(absorbed).toEqual([
        { id: a, aggregate: aggregateId, o: '42' },
        { id: b, aggregate: aggregateId, o: '43' },
      ]);
    });

    it('commits or rolls back a batch as a whole, dedup records included', async () => {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const deliver = (failOn: string | null) =>
        handleBatchOnce({
          consumer: 'ledger.transfer-requested',
          messages: batchOf(ids),
          transaction: readCommitted,
          effect: async (tx, message) => {
            await writeEffect(tx, message.id, 'batch');
            if (message.id === failOn) throw new Error('bad message');
            return message.id;
          },
          finish: async (tx, results) => {
            await writeEffect(tx, ids[0] as string, `finish ${results.length}`);
          },
        });

      await expect(deliver(ids[2] as string)).rejects.toThrow('bad message');
      for (const id of ids) await expect(effectsOf(id)).resolves.toEqual([]);
      const results = await deliver(null);
      expect(results).toEqual(ids.map((id) => ({ outcome: 'processed', result: id })));
      await expect(effectsOf(ids[0] as string)).resolves.toEqual(['batch', 'finish 3']);
    });

    it('applies each message once when overlapping batches race', async () => {
      const ids = Array.from({ length: 30 }, () => randomUUID());
      // Eight batches over the same ids in different orders: they wait on each other, never deadlock.
      const batches = Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0 ? ids.slice(i) : [...ids].reverse().slice(i),
      );
      const results = await Promise.all(
        batches.map((batch) =>
          handleBatchOnce({
            consumer: 'ledger.transfer-requested',
            messages: batchOf(batch),
            transaction: readCommitted,
            effect: (tx, message) => writeEffect(tx, message.id, 'raced'),
          }),
        ),
      );
      expect(results.flat().filter((r) => r.outcome === 'processed')).toHaveLength(ids.length);
      for (const id of ids) await expect(effectsOf(id)).resolves.toEqual(['raced']);
    }, 60_000);
  });
});
