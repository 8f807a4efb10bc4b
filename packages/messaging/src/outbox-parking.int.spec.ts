// Proves on the real broker and database that an outbox row that can never be published cannot jam the
// relay: a row sent to a topic that does not exist is charged its failed attempts and parked at the
// bound while the rows of every other key are published; the rows of its own key wait behind it, and
// leave in order once an operator releases it (after creating the topic) or discards it (a record
// larger than the broker accepts). And that a broker outage charges and parks nothing.
import { randomUUID } from 'node:crypto';
import {
  createPrismaClient,
  createTestDatabase,
  createTestKafka,
  createTestTopics,
  sampleTransferRequested,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@oncepay/test-support';
import { executorOfPrisma, type SqlExecutor } from '@oncepay/sql';
import { createKafkaClient } from './kafka-client';
import { enqueueEvent } from './outbox';
import { discardParkedOutboxRow, listParkedOutboxRows, releaseParkedOutboxRow } from './outbox-parking';
import { OutboxRelay, type OutboxPublisher, type RelayPassResult } from './outbox-relay';
import { IdempotentProducer, type ProducerRecord } from './producer';

const MAX_ATTEMPTS = 3;

interface RowState {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  parked_at: Date | null;
  discard_reason: string | null;
  value_length: number;
}

describe('outbox parking on the real broker and database', () => {
  const topic = uniqueName('transfer-requests');
  let database: TestDatabase;
  let prisma: ReturnType<typeof createPrismaClient<'transfer'>>;
  let db: SqlExecutor;
  let producer: IdempotentProducer;
  /** Event ids in the order Kafka acknowledged them. */
  let acknowledged: string[];

  beforeAll(async () => {
    await createTestTopics([topic]);
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    db = executorOfPrisma(prisma);
    producer = new IdempotentProducer(createTestKafka());
    await producer.connect();
  });

  beforeEach(async () => {
    acknowledged = [];
    await db.execute(`DELETE FROM outbox_messages`);
  });

  afterAll(async () => {
    await producer.disconnect();
    await prisma.$disconnect();
    await database.drop();
  });

  const transaction = <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> =>
    prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { timeout: 60_000, maxWait: 5_000 });

  /** The real producer, recording what Kafka acknowledged (the event id is the envelope's `id`). */
  const recordingPublisher: OutboxPublisher = {
    send: async (records: ProducerRecord[]) => {
      await producer.send(records);
      acknowledged.push(
        ...records.map((record) => (JSON.parse(record.value.toString()) as { id: string }).id),
      );
    },
  };

  const relayOn = (publisher: OutboxPublisher, onParked?: (count: number) => void) =>
    new OutboxRelay({
      transaction,
      publisher,
      listenConnectionString: database.url,
      batchSize: 50,
      maxAttempts: MAX_ATTEMPTS,
      backoff: { initialMs: 20, maxMs: 200 },
      safetyPollMs: 200,
      ...(onParked ? { onParked } : {}),
    });

  /** Enqueues one event per item, in this order, each in its own transaction; returns their ids. */
  async function enqueue(items: { transferId: string; topic: string }[]): Promise<string[]> {
    const ids: string[] = [];
    for (const item of items) {
      const event = sampleTransferRequested({ transferId: item.transferId });
      await transaction((tx) => enqueueEvent(tx, event, item.topic));
      ids.push(event.id);
    }
    return ids;
  }

  const stateOf = async (id: string): Promise<RowState> => {
    const [row] = await db.query<RowState[]>(
      `SELECT id::text AS id, status::text AS status, attempts, last_error, parked_at, discard_reason,
              length(value) AS value_length
         FROM outbox_messages WHERE id = $1::uuid`,
      id,
    );
    if (!row) throw new Error(`no outbox row ${id}`);
    return row;
  };
  const positionOf = async (id: string): Promise<string> => {
    const [row] = await db.query<{ position: string }[]>(
      `SELECT position::text AS position FROM outbox_messages WHERE id = $1::uuid`,
      id,
    );
    if (!row) throw new Error(`no outbox row ${id}`);
    return row.position;
  };
  const statuses = (ids: string[]) => Promise.all(ids.map(async (id) => (await stateOf(id)).status));

  it('parks a row whose topic does not exist while other keys flow, and sends its key in order once released', async () => {
    const missingTopic = uniqueName('not-created-yet');
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const [poisoned, a2, b1, a3, c1] = await enqueue([
      { transferId: a, topic: missingTopic },
      { transferId: a, topic },
      { transferId: b, topic },
      { transferId: a, topic },
      { transferId: c, topic },
    ]);
    const parkedCounts: number[] = [];
    const relay = relayOn(recordingPublisher, (count) => parkedCounts.push(count));
    await relay.start();
    try {
      await waitFor(
        () => stateOf(poisoned!),
        (row) => row.status === 'PARKED',
        {
          timeoutMs: 60_000,
          what: 'the poisoned row to be parked',
        },
      );
      await waitFor(
        () => statuses([b1!, c1!]),
        (s) => s.every((status) => status === 'SENT'),
        {
          what: 'the other keys to flow',
        },
      );
      const parked = await stateOf(poisoned!);
      expect(parked.attempts).toBe(MAX_ATTEMPTS);
      expect(parked.last_error).toMatch(/does not host this topic-partition/);
      expect(parked.parked_at).toBeInstanceOf(Date);
      expect(parkedCounts).toEqual([1]);
      // Its key waits behind it, uncharged, however many passes run.
      await new Promise((resolve) => setTimeout(resolve, 600));
      for (const id of [a2!, a3!])
        expect(await stateOf(id)).toMatchObject({ status: 'PENDING', attempts: 0 });
      expect(acknowledged).toEqual([b1, c1]);
      expect(await listParkedOutboxRows(db)).toEqual([
        expect.objectContaining({ id: poisoned, key: a, topic: missingTopic, attempts: 3, waitingBehind: 2 }),
      ]);

      // The operator creates the topic and releases the row: it goes first, then the rows behind it.
      await createTestTopics([missingTopic]);
      const released = await releaseParkedOutboxRow(transaction, await positionOf(poisoned!));
      expect(released).toMatchObject({ outcome: 'released', row: { status: 'PENDING', attempts: 0 } });
      await waitFor(
        () => statuses([poisoned!, a2!, a3!]),
        (s) => s.every((status) => status === 'SENT'),
        {
          timeoutMs: 60_000,
          what: 'the released key to drain',
        },
      );
      expect(acknowledged).toEqual([b1, c1, poisoned, a2, a3]);
      expect(await listParkedOutboxRows(db)).toEqual([]);
    } finally {
      await relay.stop();
    }
  });

  it('keeps a discarded row with its reason and content, and lets the rows of its key flow after it', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    // A record larger than the broker's message.max.bytes (1 MB): refused however often it is sent.
    const tooLarge = sampleTransferRequested({ transferId: a });
    await db.execute(
      `INSERT INTO outbox_messages (id, topic, key, value, headers) VALUES ($1::uuid, $2, $3, $4, '{}'::jsonb)`,
      tooLarge.id,
      topic,
      a,
      JSON.stringify({ id: tooLarge.id, padding: 'x'.repeat(2_000_000) }),
    );
    const [a2, b1] = await enqueue([
      { transferId: a, topic },
      { transferId: b, topic },
    ]);
    const relay = relayOn(recordingPublisher);
    let results: RelayPassResult[] = [];
    // Driven pass by pass: each charges the row once its backoff is over.
    while ((await stateOf(tooLarge.id)).status !== 'PARKED') {
      results.push(await relay.relayPass());
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (results.length > 200) throw new Error(`not parked after 200 passes: ${JSON.stringify(results)}`);
    }
    expect(results.filter((r) => r.outcome === 'publish_failed')).toEqual([]);
    expect((await stateOf(tooLarge.id)).last_error).toMatch(/larger than the max message size/);
    expect(await statuses([a2!, b1!])).toEqual(['PENDING', 'SENT']);

    const position = await positionOf(tooLarge.id);
    await expect(discardParkedOutboxRow(transaction, position, '  ')).rejects.toThrow(/needs a reason/);
    const discarded = await discardParkedOutboxRow(transaction, position, 'oversized test record');
    expect(discarded).toMatchObject({ outcome: 'discarded', row: { status: 'DISCARDED' } });
    expect(await discardParkedOutboxRow(transaction, position, 'again')).toEqual({
      outcome: 'not_parked',
      status: 'DISCARDED',
    });
    results = [await relay.relayPass()];
    expect(results).toEqual([{ outcome: 'published', count: 1, charged: 0, parked: 0 }]);
    expect(await stateOf(tooLarge.id)).toMatchObject({
      status: 'DISCARDED',
      discard_reason: 'oversized test record',
      value_length: expect.any(Number),
    });
    expect((await stateOf(tooLarge.id)).value_length).toBeGreaterThan(2_000_000);
    expect(acknowledged).toEqual([b1, a2]);
  });

  it('charges and parks nothing while the broker is unreachable', async () => {
    const ids = await enqueue([
      { transferId: randomUUID(), topic },
      { transferId: randomUUID(), topic },
    ]);
    // A producer of a cluster nobody listens on: connecting fails as it does when the broker is down.
    const unreachable = new IdempotentProducer(
      createKafkaClient({ clientId: uniqueName('down'), brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200 }),
    );
    const relay = relayOn({
      send: async (records) => {
        await unreachable.connect();
        await unreachable.send(records);
      },
    });
    const results: RelayPassResult[] = [];
    for (let pass = 0; pass < MAX_ATTEMPTS + 2; pass++) results.push(await relay.relayPass());
    expect(results.map((result) => result.outcome)).toEqual(Array(MAX_ATTEMPTS + 2).fill('publish_failed'));
    for (const id of ids) expect(await stateOf(id)).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(await listParkedOutboxRows(db)).toEqual([]);
  });
});
