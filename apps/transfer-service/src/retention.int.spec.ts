// Proves the transfer-service's bookkeeping tables stay bounded: one retention run deletes processed
// message ids past their retention, SENT outbox rows past theirs, expired idempotency keys and the
// transfer trail's absorbed duplicates and ignored answers past processed ids' window, and keeps
// everything still needed (recent ids and trail rows, unsent rows, live keys). A run is bounded by its time
// budget, not by a row cap: with room in the budget it clears a backlog far larger than the old cap
// of 10,000 rows per table in one go; with none it still deletes one batch per table, then stops.
import { PRISMA, RETENTION_BOUNDS, RetentionJob } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  startTestService,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import type { TransferDatabase } from './database';
import { AppModule } from './app.module';

const DAY_MS = 86_400_000;
/** Of each kind: 5 times the old per-run cap (10 batches of 1,000) and 10 of today's batches. */
const BACKLOG = 50_000;
/** Of each kind, still inside its window: must survive every run. */
const KEPT = 500;

/** What a run deleted when each table held a full backlog: the five tables, each the same count. */
const deletedOfEach = (n: number) => ({
  processed_messages: n,
  absorbed_duplicates: n,
  outbox_messages: n,
  idempotency_keys: n,
  stale_events: n,
});
/** What is left after a run deleted every expired row: KEPT of each kind and the PENDING outbox row. */
const KEPT_OF_EACH = {
  processed_messages: KEPT,
  absorbed_duplicates: KEPT,
  outbox_messages: KEPT + 1,
  idempotency_keys: KEPT,
  stale_events: KEPT,
};

describe('transfer-service retention', () => {
  const started: { database: TestDatabase; service: TestService }[] = [];

  /** A service of its own whose retention timer never fires during the test: the test runs each pass. */
  async function startWithBudget(budgetMs: number) {
    const database = await createTestDatabase('transfer');
    const service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
      RETENTION_BUDGET_MS: String(budgetMs),
      RETENTION_INTERVAL_MS: String(DAY_MS),
    });
    started.push({ database, service });
    return { job: service.app.get(RetentionJob), prisma: service.app.get<TransferDatabase>(PRISMA) };
  }

  afterAll(async () => {
    for (const { database, service } of started) {
      await service.close();
      await database.drop();
    }
  });

  /**
   * `expired` rows of each kind past their retention (processed, absorbed or ignored 31 days ago with
   * 30 days kept, sent 8 days ago with 7 kept, keys expired a day ago), then KEPT rows of each kind
   * inside it, and one PENDING outbox row. Outbox rows go in sending order, oldest first, as the relay marks them SENT.
   */
  async function seed(prisma: TransferDatabase, expired: number): Promise<void> {
    await prisma.$executeRawUnsafe(
      `INSERT INTO processed_messages (consumer, message_id, processed_at)
       SELECT 'c', gen_random_uuid(), now() - make_interval(days => CASE WHEN i <= $1::int THEN 31 ELSE 29 END)
       FROM generate_series(1, $1::int + $2::int) AS i`,
      expired,
      KEPT,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO outbox_messages (id, topic, key, value, status, created_at, sent_at)
       SELECT gen_random_uuid(), 't', 'k', '{}', 'SENT', now() - interval '10 days',
              now() - make_interval(days => CASE WHEN i <= $1::int THEN 8 ELSE 6 END)
       FROM generate_series(1, $1::int + $2::int) AS i ORDER BY i`,
      expired,
      KEPT,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO outbox_messages (id, topic, key, value, status) VALUES (gen_random_uuid(), 't', 'k', '{}', 'PENDING')`,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO idempotency_keys
         (client_id, key, request_fingerprint, response_status, response_body, created_at, expires_at)
       SELECT 'client-a', 'key-' || i, repeat('f', 64), 202, '{"id":"stored"}', now() - interval '2 days',
              now() + make_interval(days => CASE WHEN i <= $1::int THEN -1 ELSE 1 END)
       FROM generate_series(1, $1::int + $2::int) AS i`,
      expired,
      KEPT,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO absorbed_duplicates
         (consumer, message_id, aggregate_id, topic, kafka_partition, kafka_offset, absorbed_at)
       SELECT 'c', gen_random_uuid(), gen_random_uuid(), 't', 0, i,
              now() - make_interval(days => CASE WHEN i <= $1::int THEN 31 ELSE 29 END)
       FROM generate_series(1, $1::int + $2::int) AS i`,
      expired,
      KEPT,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO stale_events (consumer, event_id, event_type, transfer_id, sequence, verdict, ignored_at)
       SELECT 'c', gen_random_uuid(), 'TransferCompleted', gen_random_uuid(), 1, 'stale',
              now() - make_interval(days => CASE WHEN i <= $1::int THEN 31 ELSE 29 END)
       FROM generate_series(1, $1::int + $2::int) AS i`,
      expired,
      KEPT,
    );
  }

  async function counts(prisma: TransferDatabase) {
    return {
      processed_messages: await prisma.processedMessage.count(),
      absorbed_duplicates: await prisma.absorbedDuplicate.count(),
      outbox_messages: await prisma.outboxMessage.count(),
      idempotency_keys: await prisma.idempotencyKey.count(),
      stale_events: await prisma.staleEvent.count(),
    };
  }

  it('clears a backlog of 50,000 rows of each kind in one run, keeping what is inside its window', async () => {
    const { job, prisma } = await startWithBudget(600_000);
    await seed(prisma, BACKLOG);
    expect(await job.runPass()).toEqual(deletedOfEach(BACKLOG));
    // The PENDING row stays whatever the relay does with it meanwhile (sent just now is inside the window).
    expect(await counts(prisma)).toEqual(KEPT_OF_EACH);
    expect(await job.runPass()).toEqual(deletedOfEach(0));
  });

  it('clears expired outbox rows behind rows sent late (a retry, a released parked row)', async () => {
    const { job, prisma } = await startWithBudget(600_000);
    // Positions before any the sequence hands out: first a row sent just now, then 12,000 sent 8 days
    // ago with one more late row in the middle of them.
    await prisma.$executeRawUnsafe(
      `INSERT INTO outbox_messages (position, id, topic, key, value, status, created_at, sent_at)
       SELECT -20000 + i, gen_random_uuid(), 't', 'k', '{}', 'SENT', now() - interval '10 days',
              CASE WHEN i IN (0, 6000) THEN now() ELSE now() - interval '8 days' END
       FROM generate_series(0, 12001) AS i`,
    );
    expect(await job.runPass()).toEqual({ ...deletedOfEach(0), outbox_messages: 12_000 });
    expect(await prisma.outboxMessage.count({ where: { position: { lt: 0 } } })).toBe(2);
  });

  it('stops a run when its budget is spent, after one batch per table, and the next run goes on', async () => {
    const { job, prisma } = await startWithBudget(0);
    const expired = 2 * RETENTION_BOUNDS.batchSize + 1;
    await seed(prisma, expired);
    expect(await job.runPass()).toEqual(deletedOfEach(RETENTION_BOUNDS.batchSize));
    expect(await job.runPass()).toEqual(deletedOfEach(RETENTION_BOUNDS.batchSize));
    expect(await job.runPass()).toEqual(deletedOfEach(1));
    expect(await job.runPass()).toEqual(deletedOfEach(0));
    expect(await counts(prisma)).toEqual(KEPT_OF_EACH);
  });
});
