// Proves, on the real notification database, that a transfer gets exactly one notification: the first
// outcome event creates it, the same event again and a second event (new id) for the same transfer
// change nothing, even when deliveries race, and a contradicting outcome is reported, never applied.
// A batch inserts its notifications with one statement and answers exactly as event-by-event would,
// also for two events of one transfer in the same batch; only a transfer notified before costs a read;
// a batch of new outcomes costs four round trips.
import type { SqlExecutor, PgDatabase } from '@oncepay/sql';
import {
  createPgDatabase,
  createPrismaClient,
  createTestDatabase,
  sampleTransferCompleted,
  sampleTransferFailed,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { RECORD_OUTCOME_CONSUMER, RecordOutcomeHandler } from './record-outcome.handler';

type Transactions = Pick<PgDatabase, 'transaction'>;

/** `db` with every statement of its transactions logged. */
function loggingStatements(db: Transactions): { db: Transactions; statements: string[] } {
  const statements: string[] = [];
  const logging = (tx: SqlExecutor): SqlExecutor => ({
    query: <T>(text: string, ...values: unknown[]) => {
      statements.push(text);
      return tx.query<T>(text, ...values);
    },
    execute: (text: string, ...values: unknown[]) => {
      statements.push(text);
      return tx.execute(text, ...values);
    },
  });
  return {
    statements,
    db: { transaction: (fn) => db.transaction((tx) => fn(logging(tx))) },
  };
}

const insertsOfNotifications = (statements: string[]) =>
  statements.filter((query) => /INSERT INTO notifications/.test(query)).length;
const readsOfNotifications = (statements: string[]) =>
  statements.filter((query) => /SELECT .* FROM notifications/s.test(query)).length;

describe('RecordOutcomeHandler on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  /** The handler's own way in, as in the service: node-postgres on a pool. */
  let pg: ReturnType<typeof createPgDatabase>;
  let handler: RecordOutcomeHandler;

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    prisma = createPrismaClient('notification', database.url);
    pg = createPgDatabase(database.url);
    handler = new RecordOutcomeHandler(pg.db);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await pg.end();
    await database.drop();
  });

  const notificationsOf = (transferId: string) => prisma.notification.findMany({ where: { transferId } });

  it('creates one PENDING notification carrying the transfer facts', async () => {
    const event = sampleTransferCompleted({ clientId: 'client-a', amountMinor: 4_200n });

    const result = await handler.execute(event);

    expect(result).toEqual({ outcome: 'recorded', notificationId: expect.any(String) });
    const [notification, ...others] = await notificationsOf(event.payload.transferId);
    expect(others).toEqual([]);
    expect(notification).toMatchObject({
      clientId: 'client-a',
      outcome: 'COMPLETED',
      failureReason: null,
      eventId: event.id,
      status: 'PENDING',
      attempts: 0,
      deliveredAt: null,
      payload: {
        transferId: event.payload.transferId,
        outcome: 'COMPLETED',
        amount: '4200',
        currency: 'EUR',
        fromAccountId: event.payload.fromAccountId,
        toAccountId: event.payload.toAccountId,
        reason: null,
        occurredAt: event.occurredAt,
      },
    });
    const processed = await prisma.processedMessage.count({
      where: { consumer: RECORD_OUTCOME_CONSUMER, messageId: event.id },
    });
    expect(processed).toBe(1);
  });

  it('records the reason of a failed transfer', async () => {
    const event = sampleTransferFailed({ reason: 'ACCOUNT_NOT_FOUND' });
    await handler.execute(event);
    const [notification] = await notificationsOf(event.payload.transferId);
    expect(notification).toMatchObject({ outcome: 'FAILED', failureReason: 'ACCOUNT_NOT_FOUND' });
  });

  it('treats the same event twice as a duplicate', async () => {
    const event = sampleTransferCompleted();
    const first = await handler.execute(event);
    await expect(handler.execute(event)).resolves.toEqual({ outcome: 'duplicate_event' });
    const notifications = await notificationsOf(event.payload.transferId);
    expect(notifications.map((n) => n.id)).toEqual([
      first.outcome === 'recorded' ? first.notificationId : '',
    ]);
  });

  it('treats a second event id for the same transfer as a no-op', async () => {
    const first = sampleTransferCompleted();
    const again = sampleTransferCompleted({ transferId: first.payload.transferId });
    const created = await handler.execute(first);
    if (created.outcome !== 'recorded') throw new Error(`expected recorded, got ${created.outcome}`);

    await expect(handler.execute(again)).resolves.toEqual({
      outcome: 'outcome_already_recorded',
      notificationId: created.notificationId,
    });
    const notifications = await notificationsOf(first.payload.transferId);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.eventId).toBe(first.id);
  });

  it('keeps the first outcome when a contradicting one arrives', async () => {
    const completed = sampleTransferCompleted();
    const failed = sampleTransferFailed({ transferId: completed.payload.transferId });
    await handler.execute(completed);

    await expect(handler.execute(failed)).resolves.toMatchObject({
      outcome: 'conflicting_outcome',
      recordedOutcome: 'COMPLETED',
    });
    const notifications = await notificationsOf(completed.payload.transferId);
    expect(notifications.map((n) => n.outcome)).toEqual(['COMPLETED']);
  });

  it('creates one notification when redeliveries and new event ids for one transfer race', async () => {
    const first = sampleTransferCompleted();
    const events = [
      ...Array.from({ length: 5 }, () => first),
      ...Array.from({ length: 5 }, () => sampleTransferCompleted({ transferId: first.payload.transferId })),
    ];

    const results = await Promise.all(events.map((event) => handler.execute(event)));

    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
    await expect(notificationsOf(first.payload.transferId)).resolves.toHaveLength(1);
  });

  it('answers a batch with two events for one transfer as one event at a time would, with one INSERT', async () => {
    const completed = sampleTransferCompleted();
    const failed = sampleTransferFailed();
    const sameOutcome = sampleTransferCompleted({ transferId: completed.payload.transferId });
    const otherOutcome = sampleTransferCompleted({ transferId: failed.payload.transferId });
    const logged = loggingStatements(pg.db);

    const results = await new RecordOutcomeHandler(logged.db).executeBatch([
      completed,
      failed,
      sameOutcome,
      otherOutcome,
      completed,
    ]);

    const [first, second] = results;
    if (first?.outcome !== 'recorded' || second?.outcome !== 'recorded') {
      throw new Error(`expected the first two events to be recorded, got ${JSON.stringify(results)}`);
    }
    expect(results).toEqual([
      first,
      second,
      { outcome: 'outcome_already_recorded', notificationId: first.notificationId },
      { outcome: 'conflicting_outcome', notificationId: second.notificationId, recordedOutcome: 'FAILED' },
      { outcome: 'duplicate_event' },
    ]);
    const ofCompleted = await notificationsOf(completed.payload.transferId);
    expect(ofCompleted.map((n) => [n.id, n.eventId, n.outcome])).toEqual([
      [first.notificationId, completed.id, 'COMPLETED'],
    ]);
    const ofFailed = await notificationsOf(failed.payload.transferId);
    expect(ofFailed.map((n) => [n.id, n.eventId, n.outcome])).toEqual([
      [second.notificationId, failed.id, 'FAILED'],
    ]);
    // Everything the batch needed came from the one INSERT: nothing was read back.
    expect(insertsOfNotifications(logged.statements)).toBe(1);
    expect(readsOfNotifications(logged.statements)).toBe(0);
  });

  it('records a batch of new outcomes in four round trips to PostgreSQL, whatever its size', async () => {
    // BEGIN, the dedup records, the notifications with their webhook deliveries (one statement), COMMIT.
    for (const size of [2, 40]) {
      const events = Array.from({ length: size }, () => sampleTransferCompleted());
      const before = pg.roundTrips();
      const results = await handler.executeBatch(events);
      expect(pg.roundTrips() - before).toBe(4);
      expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['recorded']));
    }
  });

  it('reads back only the transfers whose notification was recorded before the batch', async () => {
    const earlier = sampleTransferCompleted();
    const created = await handler.execute(earlier);
    if (created.outcome !== 'recorded') throw new Error(`expected recorded, got ${created.outcome}`);
    const again = sampleTransferFailed({ transferId: earlier.payload.transferId });
    const fresh = sampleTransferCompleted();
    const logged = loggingStatements(pg.db);

    const results = await new RecordOutcomeHandler(logged.db).executeBatch([again, fresh]);

    expect(results).toEqual([
      {
        outcome: 'conflicting_outcome',
        notificationId: created.notificationId,
        recordedOutcome: 'COMPLETED',
      },
      { outcome: 'recorded', notificationId: expect.any(String) },
    ]);
    await expect(notificationsOf(fresh.payload.transferId)).resolves.toHaveLength(1);
    expect(insertsOfNotifications(logged.statements)).toBe(1);
    expect(readsOfNotifications(logged.statements)).toBe(1);
  });
});
