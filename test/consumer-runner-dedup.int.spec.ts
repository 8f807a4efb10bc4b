// Proves the consumer runner (messaging) and the idempotent consumer (dedup) together are
// effectively-once on the real broker and database: a consumer that dies after its database commit
// but before its offset commit redelivers and the dedup makes it a no-op; 1,000 events with injected
// duplicates produce exactly 1,000 effects; a malformed message lands in the dead-letter topic with
// the reason and the messages after it are still processed; a batch that fails because of one event
// is split, so only that event is dead-lettered.
import { decodeEvent, encodeEvent } from '@oncepay/contracts';
import { handleBatchOnce } from '@oncepay/dedup';
import { executorOfPrisma } from '@oncepay/sql';
import {
  countEffects,
  createEffectsTable,
  createPrismaClient,
  createTestDatabase,
  createTestKafka,
  createTestTopics,
  effectRecordingHandler,
  sampleTransferRequested,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@oncepay/test-support';
import type { KafkaMessage } from 'kafkajs';
import {
  ConsumerRunner,
  DLT_HEADERS,
  IdempotentProducer,
  oneAtATime,
  type HandleOutcome,
  type ProducerRecord,
} from '@oncepay/messaging';

class SimulatedCrash extends Error {}

describe('consumer runner on the real broker and database', () => {
  const kafka = createTestKafka();
  let database: TestDatabase;
  let prisma: ReturnType<typeof createPrismaClient<'transfer'>>;
  let producer: IdempotentProducer;
  const runners: ConsumerRunner[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    await createEffectsTable(database);
    producer = new IdempotentProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop().catch(() => undefined)));
    await producer.disconnect();
    await prisma.$disconnect();
    await database.drop();
  });

  async function freshTopic(base: string): Promise<string> {
    const topic = uniqueName(base);
    await createTestTopics([topic, `${topic}.dlt`]);
    return topic;
  }

  function eventRecords(topic: string, count: number): ProducerRecord[] {
    return Array.from({ length: count }, () => ({ topic, ...encodeEvent(sampleTransferRequested()) }));
  }

  function startRunner(
    topic: string,
    groupId: string,
    consumer: string,
    options: Partial<ConstructorParameters<typeof ConsumerRunner>[0]> = {},
  ) {
    const handler = effectRecordingHandler(prisma, consumer);
    const runner = new ConsumerRunner({
      kafka,
      groupId,
      topics: [topic],
      handleBatch: oneAtATime(handler),
      deadLetterProducer: producer,
      ...options,
    });
    runners.push(runner);
    return { handler, runner, started: runner.start() };
  }

  it('turns the redelivery after a crash before the offset commit into a no-op', async () => {
    const topic = await freshTopic('crash');
    const groupId = uniqueName('group');
    await producer.send(eventRecords(topic, 10));

    let crashed = false;
    const first = startRunner(topic, groupId, 'crash-test', {
      afterHandled: async () => {
        if (crashed) return;
        crashed = true;
        // The database transaction committed; the process dies before committing the offset.
        void first.runner.stop();
        throw new SimulatedCrash('consumer died before its offset commit');
      },
    });
    await first.started;
    await waitFor(
      () => Promise.resolve(crashed),
      (c) => c,
      { what: 'the crash' },
    );

    const second = startRunner(topic, groupId, 'crash-test');
    await second.started;
    await waitFor(
      () => countEffects(prisma, 'crash-test'),
      (c) => c.total >= 10,
      { what: 'all ten effects' },
    );
    // Whichever consumer got the redelivery (kafkajs may retry the batch before the first one leaves) saw a duplicate.
    const duplicates = () =>
      Promise.resolve(first.handler.outcomes.duplicate + second.handler.outcomes.duplicate);
    await waitFor(duplicates, (n) => n >= 1, { what: 'the redelivered duplicate' });
    expect(await countEffects(prisma, 'crash-test')).toEqual({ total: 10, distinct: 10 });
  });

  it('applies 1,000 events exactly once although 250 of them are delivered twice', async () => {
    const topic = await freshTopic('thousand');
    const records = eventRecords(topic, 1_000);
    const duplicates = records.filter((_, i) => i % 4 === 0);
    await producer.send([...records.slice(0, 500), ...duplicates, ...records.slice(500)]);

    const { handler, started } = startRunner(topic, uniqueName('group'), 'thousand');
    await started;
    await waitFor(
      () => Promise.resolve(handler.outcomes.processed + handler.outcomes.duplicate),
      (n) => n === 1_250,
      {
        timeoutMs: 90_000,
        what: 'all 1,250 deliveries',
      },
    );
    expect(handler.outcomes).toEqual({ processed: 1_000, duplicate: 250, ignored: 0 });
    expect(await countEffects(prisma, 'thousand')).toEqual({ total: 1_000, distinct: 1_000 });
  }, 120_000);

  it('dead-letters a malformed message with the reason and keeps processing the partition', async () => {
    const topic = await freshTopic('poison');
    const [before, after] = eventRecords(topic, 2);
    const poison: ProducerRecord = {
      topic,
      key: before!.key,
      value: '{"not":"an event"',
      headers: { 'trace-id': 'poison-1' },
    };
    // One key: all three land on one partition, so "after" really comes behind the poison.
    await producer.send([before!, poison, { ...after!, key: before!.key }]);

    const { handler, started } = startRunner(topic, uniqueName('group'), 'poison');
    await started;
    await waitFor(
      () => countEffects(prisma, 'poison'),
      (c) => c.total === 2,
      { what: 'both valid events' },
    );
    expect(handler.outcomes.processed).toBe(2);

    const deadLetters = await readAll(`${topic}.dlt`, 1);
    expect(deadLetters).toHaveLength(1);
    const [letter] = deadLetters;
    expect(letter?.value?.toString()).toBe(poison.value);
    expect(header(letter, DLT_HEADERS.reason)).toMatch(/^undecodable: value is not valid JSON/);
    expect(header(letter, DLT_HEADERS.originalTopic)).toBe(topic);
    expect(header(letter, 'trace-id')).toBe('poison-1');
    expect(decodeEvent(letter?.value ?? null).ok).toBe(false);
  });

  it('dead-letters an event whose handler keeps failing for a non-infrastructure reason, after the bounded attempts', async () => {
    const topic = await freshTopic('failing');
    await producer.send(eventRecords(topic, 1));
    let attempts = 0;
    const runner = new ConsumerRunner({
      kafka,
      groupId: uniqueName('group'),
      topics: [topic],
      deadLetterProducer: producer,
      maxAttempts: 3,
      backoff: { initialMs: 10, maxMs: 20 },
      handleBatch: oneAtATime(async () => {
        attempts += 1;
        throw new TypeError('a bug in the handler');
      }),
    });
    runners.push(runner);
    await runner.start();
    const [letter] = await readAll(`${topic}.dlt`, 1);
    expect(attempts).toBe(3);
    expect(header(letter, DLT_HEADERS.reason)).toBe('handler failed: TypeError: a bug in the handler');
    expect(header(letter, DLT_HEADERS.attempts)).toBe('3');
  });

  it('handles a batch in one transaction and, when one event breaks it, dead-letters only that event', async () => {
    const topic = await freshTopic('batch-split');
    // One key: the ten events share a partition, so they arrive as one batch.
    const records = eventRecords(topic, 10).map((record, _, all) => ({ ...record, key: all[0]!.key }));
    const poisonId = decodeEventId(records[6]!.value.toString());
    await producer.send(records);
    const batchSizes: number[] = [];
    const runner = new ConsumerRunner({
      kafka,
      groupId: uniqueName('group'),
      topics: [topic],
      deadLetterProducer: producer,
      maxAttempts: 2,
      backoff: { initialMs: 10, maxMs: 20 },
      handleBatch: async (batch) => {
        batchSizes.push(batch.length);
        const results = await handleBatchOnce({
          consumer: 'batch-split',
          messages: batch.map(({ event }) => event),
          transaction: (fn) =>
            prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { isolationLevel: 'ReadCommitted' }),
          effect: async (tx, event) => {
            await tx.execute(
              `INSERT INTO test_effects (consumer, event_id) VALUES ('batch-split', $1::uuid)`,
              event.id,
            );
            if (event.id === poisonId) throw new TypeError('cannot handle this one');
          },
        });
        return results.map((r): HandleOutcome => (r.outcome === 'duplicate' ? 'duplicate' : 'processed'));
      },
    });
    runners.push(runner);
    await runner.start();

    const [letter] = await readAll(`${topic}.dlt`, 1);
    await waitFor(
      () => countEffects(prisma, 'batch-split'),
      (c) => c.total === 9,
      { what: 'the nine good events' },
    );
    expect(await countEffects(prisma, 'batch-split')).toEqual({ total: 9, distinct: 9 });
    expect(decodeEventId(letter?.value?.toString() ?? '')).toBe(poisonId);
    expect(header(letter, DLT_HEADERS.reason)).toBe('handler failed: TypeError: cannot handle this one');
    expect(header(letter, DLT_HEADERS.attempts)).toBe('2');
    // First the whole batch in one call, then one event per call once it was split.
    expect(batchSizes[0]).toBe(10);
    expect(batchSizes.slice(1).every((size) => size === 1)).toBe(true);
  });

  function decodeEventId(value: string): string {
    const decoded = decodeEvent(Buffer.from(value));
    if (!decoded.ok) throw new Error(decoded.reason);
    return decoded.event.id;
  }

  async function readAll(topic: string, expected: number): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    try {
      await waitFor(
        () => Promise.resolve(messages.length),
        (n) => n >= expected,
        { what: `${expected} messages on ${topic}` },
      );
      return messages;
    } finally {
      await consumer.disconnect();
    }
  }

  function header(message: KafkaMessage | undefined, name: string): string | undefined {
    return message?.headers?.[name]?.toString();
  }
});
