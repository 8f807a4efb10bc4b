// Proves the outbox relay publishes every committed event, and that a relay killed between the Kafka
// publish and the mark-as-sent (so the batch goes out twice) still yields exactly one effect per
// event in each consumer group, because consumers deduplicate on the event id; and that a relay whose
// LISTEN connection the database dropped listens again and is woken by the next NOTIFY; and that a
// woken relay lingers so rows committed right behind the first go out in the same pass; that a LISTEN
// connection that never answers holds the relay back a bounded while only; and that a pass on
// node-postgres costs four round trips to the database.
import {
  countEffects,
  createEffectsTable,
  createPrismaClient,
  createTestDatabase,
  createTestKafka,
  createPgDatabase,
  createTestTopics,
  effectRecordingHandler,
  sampleTransferRequested,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@oncepay/test-support';
import { executorOfPrisma, type SqlExecutor } from '@oncepay/sql';
import { createServer, type Socket } from 'node:net';
import { ConsumerRunner, oneAtATime } from './consumer-runner';
import { enqueueEvent } from './outbox';
import { RELAY_LOCK_KEY } from './outbox-parking';
import { OutboxRelay } from './outbox-relay';
import { OutboxSignal } from './outbox-signal';
import { IdempotentProducer } from './producer';

const EVENT_COUNT = 60;

class SimulatedCrash extends Error {}

describe('outbox relay on the real broker and database', () => {
  const topic = uniqueName('transfer-requests');
  const kafka = createTestKafka();
  let database: TestDatabase;
  let prisma: ReturnType<typeof createPrismaClient<'transfer'>>;
  let producer: IdempotentProducer;
  const runners: ConsumerRunner[] = [];

  beforeAll(async () => {
    await createTestTopics([topic, `${topic}.dlt`]);
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    await createEffectsTable(database);
    producer = new IdempotentProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await producer.disconnect();
    await prisma.$disconnect();
    await database.drop();
  });

  const relayWith = (afterPublish?: () => Promise<void>): OutboxRelay<SqlExecutor> =>
    new OutboxRelay({
      transaction: (fn) =>
        prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { timeout: 60_000, maxWait: 5_000 }),
      publisher: producer,
      listenConnectionString: database.url,
      batchSize: 25,
      afterPublish,
    });

  const pendingCount = async (): Promise<number> => {
    const [row] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM outbox_messages WHERE status = 'PENDING'`,
    );
    return Number(row?.n);
  };

  it('listens again after the database dropped its LISTEN connection', async () => {
    const ownTopic = uniqueName('relay-listen');
    await createTestTopics([ownTopic]);
    // No safety net to speak of: only a NOTIFY can wake this relay in time.
    const relay = new OutboxRelay({
      transaction: (fn) =>
        prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { timeout: 60_000, maxWait: 5_000 }),
      publisher: producer,
      listenConnectionString: database.url,
      safetyPollMs: 120_000,
    });
    await relay.start();
    try {
      const listening = () =>
        prisma.$queryRawUnsafe<{ pid: number }[]>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
        );
      await waitFor(listening, (rows) => rows.length === 1, { what: 'the relay to LISTEN' });
      const [before] = await listening();
      await prisma.$queryRawUnsafe(`SELECT pg_terminate_backend($1::int)`, before?.pid);
      await waitFor(listening, (rows) => rows.length === 1 && rows[0]?.pid !== before?.pid, {
        what: 'the relay to LISTEN again',
      });

      await prisma.$transaction((tx) =>
        enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), ownTopic),
      );
      new OutboxSignal(executorOfPrisma(prisma)).committed();
      await waitFor(pendingCount, (n) => n === 0, {
        timeoutMs: 15_000,
        what: 'the NOTIFY to wake the relay',
      });
    } finally {
      await relay.stop();
    }
  });

  it('publishes by polling while its LISTEN connection goes to a server that never answers', async () => {
    const ownTopic = uniqueName('relay-silent-listen');
    await createTestTopics([ownTopic]);
    // Accepts the connection and says nothing: a host that swallows packets, a half-open connection.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const relay = new OutboxRelay({
      transaction: (fn) =>
        prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { timeout: 60_000, maxWait: 5_000 }),
      publisher: producer,
      listenConnectionString: `postgresql://nobody:nothing@127.0.0.1:${port}/none`,
      safetyPollMs: 200,
    });
    await prisma.$transaction((tx) =>
      enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), ownTopic),
    );
    const startedAt = Date.now();
    await relay.start();
    try {
      await waitFor(pendingCount, (n) => n === 0, {
        timeoutMs: 20_000,
        what: 'the relay to poll past its LISTEN',
      });
      // It waited out the connection's bound once, no more: the pass came after about 5 s.
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      expect(sockets.length).toBeGreaterThanOrEqual(1);
    } finally {
      await relay.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('delivers each event once per consumer group even after a crash between publish and mark-as-sent', async () => {
    await prisma.$transaction(async (tx) => {
      for (let i = 0; i < EVENT_COUNT; i++)
        await enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), topic);
    });

    const crashing = relayWith(async () => {
      throw new SimulatedCrash('relay killed after Kafka acknowledged the batch');
    });
    await expect(crashing.relayPass()).rejects.toThrow(SimulatedCrash);
    expect(await pendingCount()).toBe(EVENT_COUNT);

    const restarted = relayWith();
    await restarted.start();
    await waitFor(pendingCount, (n) => n === 0, { what: 'the outbox to drain' });
    await restarted.stop();

    const offsets = await fetchMessageCount(topic);
    expect(offsets).toBe(EVENT_COUNT + 25);

    for (const group of ['group-a', 'group-b']) {
      const handler = effectRecordingHandler(prisma, group);
      const runner = new ConsumerRunner({
        kafka,
        groupId: uniqueName(group),
        topics: [topic],
        handleBatch: oneAtATime(handler),
        deadLetterProducer: producer,
      });
      runners.push(runner);
      await runner.start();
      await waitFor(
        () => Promise.resolve(handler.outcomes.processed + handler.outcomes.duplicate),
        (n) => n === EVENT_COUNT + 25,
        {
          what: `${group} to read every message`,
        },
      );
      expect(await countEffects(prisma, group)).toEqual({ total: EVENT_COUNT, distinct: EVENT_COUNT });
      expect(handler.outcomes).toEqual({ processed: EVENT_COUNT, duplicate: 25, ignored: 0 });
    }
  });

  it('wakes up when a committed enqueue signals it, instead of waiting for the safety poll', async () => {
    const signal = new OutboxSignal(executorOfPrisma(prisma));
    const relay = new OutboxRelay({
      transaction: (fn) => prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { timeout: 60_000 }),
      publisher: producer,
      signal,
      safetyPollMs: 60_000,
    });
    await relay.start();
    try {
      await prisma.$transaction((tx) => enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), topic));
      signal.committed();
      await waitFor(pendingCount, (n) => n === 0, { timeoutMs: 5_000, what: 'the signalled publish' });
    } finally {
      await relay.stop();
    }
  });

  it('lingers after a wake-up, so rows committed right behind the first leave in the same pass', async () => {
    const sends: number[] = [];
    const relay = new OutboxRelay({
      transaction: (fn) => prisma.$transaction((tx) => fn(executorOfPrisma(tx)), { timeout: 60_000 }),
      // Records the size of each Kafka send instead of sending.
      publisher: { send: async (records) => void sends.push(records.length) },
      safetyPollMs: 60_000,
      lingerMs: 400,
    });
    await relay.start();
    try {
      // Let the relay's first pass (an empty table) end, so the wake-up below is what starts the next.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const enqueue = () =>
        prisma.$transaction((tx) => enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), topic));
      await enqueue();
      relay.wakeUp();
      // Committed well within the linger that this wake-up started.
      await enqueue();
      await enqueue();
      await waitFor(pendingCount, (n) => n === 0, { timeoutMs: 5_000, what: 'the lingered publish' });
      expect(sends).toEqual([3]);
    } finally {
      await relay.stop();
    }
  });

  it('takes four round trips to PostgreSQL per pass on node-postgres, and stays the only leader', async () => {
    // BEGIN with the leader lock (one message), the rows, marking them SENT, COMMIT.
    const pg = createPgDatabase(database.url);
    try {
      const relay = new OutboxRelay({
        transaction: (fn) => pg.db.transaction(fn),
        publisher: producer,
        batchSize: 50,
      });
      await prisma.$transaction(async (tx) => {
        for (let i = 0; i < 30; i++)
          await enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), topic);
      });
      const before = pg.roundTrips();
      await expect(relay.relayPass()).resolves.toMatchObject({ outcome: 'published', count: 30 });
      expect(pg.roundTrips() - before).toBe(4);
      expect(await pendingCount()).toBe(0);

      // The lock still elects one relay: while another transaction holds it, this relay is no leader.
      await prisma.$transaction(async (tx) => {
        await tx.$queryRawUnsafe(`SELECT 1 AS locked FROM pg_advisory_xact_lock($1::bigint)`, RELAY_LOCK_KEY);
        await enqueueEvent(executorOfPrisma(tx), sampleTransferRequested(), topic);
        await expect(relay.relayPass()).resolves.toEqual({ outcome: 'not_leader' });
      });
      await expect(relay.relayPass()).resolves.toMatchObject({ outcome: 'published', count: 1 });
    } finally {
      await pg.end();
    }
  });

  async function fetchMessageCount(name: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(name);
      return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    } finally {
      await admin.disconnect();
    }
  }
});
