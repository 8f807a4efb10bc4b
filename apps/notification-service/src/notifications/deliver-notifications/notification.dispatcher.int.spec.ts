// Proves the dispatcher on the real notification database, with a scripted channel: retriable failures
// are retried on a capped exponential schedule until DELIVERED, a non-retriable failure is GAVE_UP at
// once, the attempt budget ends in GAVE_UP, a hung or throwing channel counts as a retriable failure,
// two dispatchers working one table concurrently never deliver a notification twice, and a pass costs
// two statements (claim, record) whatever its size: a row whose claim was lost meanwhile is dropped
// while the others are recorded, and a failed recording leaves every row of the pass to its lease.
import { setTimeout as sleep } from 'node:timers/promises';
import { executorOfPrisma, type SqlExecutor } from '@oncepay/sql';
import { type MessagingLogger } from '@oncepay/messaging';
import {
  createPgDatabase,
  createPrismaClient,
  createTestDatabase,
  sampleTransferCompleted,
  waitFor,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import type { Notification } from '../domain/notification';
import type { DeliveryResult, NotificationChannel } from '../domain/notification-channel.port';
import { RecordOutcomeHandler } from '../record-outcome/record-outcome.handler';
import { NotificationDispatcher, type NotificationDispatcherOptions } from './notification.dispatcher';

/** Every delivery asked of one or more channels; a second concurrent delivery of one id is a bug. */
class DeliveryLog {
  readonly calls: { notificationId: string; attemptNumber: number }[] = [];
  readonly inFlight = new Set<string>();
  overlapping = 0;

  deliveriesOf(notificationId: string): number {
    return this.calls.filter((call) => call.notificationId === notificationId).length;
  }
}

/** A channel whose answers are scripted per call (1 = its first call); it logs every delivery. */
class ScriptedChannel implements NotificationChannel {
  readonly name = 'scripted';
  callCount = 0;

  constructor(
    private readonly answer: (call: number) => DeliveryResult | 'hang' | 'throw',
    private readonly delayMs = 0,
    readonly log = new DeliveryLog(),
  ) {}

  async deliver(notification: Notification): Promise<DeliveryResult> {
    this.callCount += 1;
    this.log.calls.push({ notificationId: notification.id, attemptNumber: notification.attemptNumber });
    if (this.log.inFlight.has(notification.id)) this.log.overlapping += 1;
    this.log.inFlight.add(notification.id);
    try {
      const answer = this.answer(this.callCount);
      if (this.delayMs > 0) await sleep(this.delayMs);
      if (answer === 'hang') return await new Promise<DeliveryResult>(() => undefined);
      if (answer === 'throw') throw new Error('channel bug');
      return answer;
    } finally {
      this.log.inFlight.delete(notification.id);
    }
  }
}

const DELIVERED: DeliveryResult = { outcome: 'delivered', responseStatus: 200 };
const UNAVAILABLE: DeliveryResult = {
  outcome: 'failed',
  retriable: true,
  error: 'HTTP 503',
  responseStatus: 503,
};
const BAD_REQUEST: DeliveryResult = {
  outcome: 'failed',
  retriable: false,
  error: 'HTTP 400',
  responseStatus: 400,
};
const quietLogger: MessagingLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** `db` with every statement logged, and made to fail when `failWhen` says so. */
function loggingStatements(
  db: SqlExecutor,
  failWhen: (query: string) => boolean = () => false,
): { db: SqlExecutor; statements: string[] } {
  const statements: string[] = [];
  const run = <T>(query: string, send: () => Promise<T>): Promise<T> => {
    statements.push(query);
    return failWhen(query) ? Promise.reject(new Error('connection lost')) : send();
  };
  return {
    statements,
    db: {
      query: <T>(text: string, ...values: unknown[]) => run(text, () => db.query<T>(text, ...values)),
      execute: (text: string, ...values: unknown[]) => run(text, () => db.execute(text, ...values)),
    },
  };
}

describe('NotificationDispatcher on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  /** The consumer's own way in, as in the service: node-postgres on a pool. */
  let pg: ReturnType<typeof createPgDatabase>;
  const dispatchers: NotificationDispatcher[] = [];
  const extraClients: PrismaClientOf['notification'][] = [];

  // A database per test: a dispatcher claims every due notification, so tests must not share rows.
  beforeEach(async () => {
    database = await createTestDatabase('notification');
    prisma = createPrismaClient('notification', database.url);
    pg = createPgDatabase(database.url);
  });
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((dispatcher) => dispatcher.stop()));
    await Promise.all([prisma, ...extraClients.splice(0)].map((client) => client.$disconnect()));
    await pg.end();
    await database.drop();
  });

  function dispatcher(
    channel: NotificationChannel,
    options: Partial<NotificationDispatcherOptions> = {},
  ): NotificationDispatcher {
    const created = new NotificationDispatcher({
      db: executorOfPrisma(prisma),
      channel,
      maxAttempts: 5,
      backoff: { initialMs: 100, maxMs: 250 },
      intervalMs: 10,
      batchSize: 10,
      deliveryTimeoutMs: 2_000,
      logger: quietLogger,
      random: () => 1,
      ...options,
    });
    dispatchers.push(created);
    return created;
  }

  async function createNotification(): Promise<string> {
    const result = await new RecordOutcomeHandler(pg.db).execute(sampleTransferCompleted());
    if (result.outcome !== 'recorded') throw new Error(`expected a new notification, got ${result.outcome}`);
    return result.notificationId;
  }

  const notification = (id: string) => prisma.notification.findUniqueOrThrow({ where: { id } });
  const attempts = (id: string) =>
    prisma.deliveryAttempt.findMany({ where: { notificationId: id }, orderBy: { attemptNumber: 'asc' } });

  /** How long until the notification is due again, by the database's clock. */
  async function remainingMs(id: string): Promise<number> {
    const [row] = await prisma.$queryRawUnsafe<{ remaining_ms: number }[]>(
      `SELECT (EXTRACT(EPOCH FROM (next_attempt_at - clock_timestamp())) * 1000)::float8 AS remaining_ms
         FROM notifications WHERE id = $1::uuid`,
      id,
    );
    if (!row) throw new Error(`notification ${id} not found`);
    return row.remaining_ms;
  }

  it('retries retriable failures on a capped exponential schedule, then delivers', async () => {
    const id = await createNotification();
    const channel = new ScriptedChannel((call) => (call <= 3 ? UNAVAILABLE : DELIVERED));
    const subject = dispatcher(channel);
    const passUntilClaimed = () =>
      waitFor(
        () => subject.dispatchPass(),
        (result) => result.claimed > 0,
        { intervalMs: 10, timeoutMs: 5_000, what: 'the notification to be due' },
      );

    // Backoff doubles from 100 ms and is capped at 250 ms (jitter fixed at its maximum).
    for (const expectedDelayMs of [100, 200, 250]) {
      await expect(passUntilClaimed()).resolves.toMatchObject({ claimed: 1, retrying: 1 });
      // At most the expected delay from now (the cap holds); the gaps below show it is not less.
      const measuredAt = performance.now();
      const remaining = await remainingMs(id);
      expect(remaining).toBeLessThanOrEqual(expectedDelayMs);
      expect(remaining).toBeGreaterThan(0);
      // Not due yet: a pass that ends before the notification is due leaves it alone. (On a loaded
      // machine the pass itself may take longer than the few ms left; then it may rightly claim it.)
      const pass = await subject.dispatchPass();
      if (performance.now() - measuredAt < remaining) expect(pass).toMatchObject({ claimed: 0 });
    }
    await expect(passUntilClaimed()).resolves.toMatchObject({ claimed: 1, delivered: 1 });

    expect(await notification(id)).toMatchObject({ status: 'DELIVERED', attempts: 4, lastError: null });
    expect((await notification(id)).deliveredAt).toBeInstanceOf(Date);
    const recorded = await attempts(id);
    expect(recorded.map((a) => [a.attemptNumber, a.channel, a.succeeded, a.responseStatus, a.error])).toEqual(
      [
        [1, 'scripted', false, 503, 'HTTP 503'],
        [2, 'scripted', false, 503, 'HTTP 503'],
        [3, 'scripted', false, 503, 'HTTP 503'],
        [4, 'scripted', true, 200, null],
      ],
    );
    // The waits really happened between attempts (5 ms of slack for millisecond rounding).
    const gapsMs = recorded
      .slice(1)
      .map((a, i) => a.attemptedAt.getTime() - recorded[i]!.attemptedAt.getTime());
    gapsMs.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual([100, 200, 250][i]! - 5));
    expect(channel.log.calls.map((c) => c.attemptNumber)).toEqual([1, 2, 3, 4]);
  });

  it('gives up at once on a non-retriable failure', async () => {
    const id = await createNotification();
    const channel = new ScriptedChannel(() => BAD_REQUEST);
    const subject = dispatcher(channel);

    await expect(subject.dispatchPass()).resolves.toMatchObject({ claimed: 1, gave_up: 1 });
    await expect(subject.dispatchPass()).resolves.toMatchObject({ claimed: 0 });

    expect(await notification(id)).toMatchObject({ status: 'GAVE_UP', attempts: 1, lastError: 'HTTP 400' });
    expect(await attempts(id)).toMatchObject([{ attemptNumber: 1, succeeded: false, responseStatus: 400 }]);
    expect(channel.callCount).toBe(1);
  });

  it('gives up after the maximum number of attempts, running on its own interval', async () => {
    const id = await createNotification();
    const channel = new ScriptedChannel(() => UNAVAILABLE);
    const subject = dispatcher(channel, { maxAttempts: 3, backoff: { initialMs: 10, maxMs: 20 } });

    subject.start();
    await waitFor(
      () => notification(id),
      (row) => row.status !== 'PENDING',
      { intervalMs: 20, timeoutMs: 10_000, what: 'the notification to be given up' },
    );
    await subject.stop();

    expect(await notification(id)).toMatchObject({ status: 'GAVE_UP', attempts: 3, lastError: 'HTTP 503' });
    expect((await attempts(id)).map((a) => a.succeeded)).toEqual([false, false, false]);
    await expect(subject.dispatchPass()).resolves.toMatchObject({ claimed: 0 });
    expect(channel.callCount).toBe(3);
  });

  it('counts a channel that hangs past the deadline or throws as a retriable failure', async () => {
    const hung = await createNotification();
    const hanging = dispatcher(new ScriptedChannel(() => 'hang'), { deliveryTimeoutMs: 50 });
    await expect(hanging.dispatchPass()).resolves.toMatchObject({ claimed: 1, retrying: 1 });
    expect(await notification(hung)).toMatchObject({
      status: 'PENDING',
      lastError: 'no answer within 50 ms',
    });

    await prisma.notification.update({ where: { id: hung }, data: { status: 'DELIVERED' } });
    const thrown = await createNotification();
    const throwing = dispatcher(new ScriptedChannel(() => 'throw'));
    await expect(throwing.dispatchPass()).resolves.toMatchObject({ claimed: 1, retrying: 1 });
    expect(await notification(thrown)).toMatchObject({
      status: 'PENDING',
      lastError: 'channel threw: Error: channel bug',
    });
  });

  it('records a pass with one statement, dropping a row whose claim was lost and keeping the others', async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => createNotification()));
    const lostId = ids[1] as string;
    // While `lostId` is out for delivery, its lease runs out and another dispatcher claims it again.
    const channel: NotificationChannel = {
      name: 'scripted',
      deliver: async (sent) => {
        if (sent.id === lostId) {
          await prisma.$executeRawUnsafe(
            `UPDATE notifications SET attempts = attempts + 1 WHERE id = $1::uuid`,
            lostId,
          );
        }
        return DELIVERED;
      },
    };
    const logged = loggingStatements(executorOfPrisma(prisma));
    const subject = dispatcher(channel, { db: logged.db });

    await expect(subject.dispatchPass()).resolves.toEqual({
      claimed: 3,
      delivered: 2,
      retrying: 0,
      gave_up: 0,
      claim_lost: 1,
      unrecorded: 0,
    });

    expect(logged.statements).toHaveLength(2);
    expect(await notification(lostId)).toMatchObject({ status: 'PENDING', attempts: 2, deliveredAt: null });
    await expect(attempts(lostId)).resolves.toEqual([]);
    for (const id of ids.filter((id) => id !== lostId)) {
      expect(await notification(id)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
      expect(await attempts(id)).toMatchObject([{ attemptNumber: 1, succeeded: true, responseStatus: 200 }]);
    }
  });

  it('counts every row of a pass as unrecorded when recording fails, leaving them to their lease', async () => {
    const ids = await Promise.all(Array.from({ length: 2 }, () => createNotification()));
    const errors: unknown[] = [];
    const logged = loggingStatements(executorOfPrisma(prisma), (query) =>
      query.includes('INSERT INTO delivery_attempts'),
    );
    const subject = dispatcher(new ScriptedChannel(() => DELIVERED), {
      db: logged.db,
      logger: { ...quietLogger, error: (_message, details) => errors.push(details) },
    });

    await expect(subject.dispatchPass()).resolves.toMatchObject({ claimed: 2, delivered: 0, unrecorded: 2 });

    // One log line per notification, as when each was recorded on its own.
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(
      expect.arrayContaining(
        ids.map((id) => expect.objectContaining({ notificationId: id, attemptNumber: 1 })),
      ),
    );
    for (const id of ids) {
      // Still claimed: sent again once the lease runs out (the receiver dedups by notification id).
      expect(await notification(id)).toMatchObject({ status: 'PENDING', attempts: 1, lastError: null });
      expect(await remainingMs(id)).toBeGreaterThan(30_000);
      await expect(attempts(id)).resolves.toEqual([]);
    }
  });

  it('never delivers one notification twice with two dispatchers running concurrently', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, () => createNotification()));
    // Each instance has its own channel and database client; the shared log sees across both.
    const log = new DeliveryLog();
    const firstChannel = new ScriptedChannel(() => DELIVERED, 15, log);
    const secondChannel = new ScriptedChannel(() => DELIVERED, 15, log);
    const otherInstanceDb = createPrismaClient('notification', database.url);
    extraClients.push(otherInstanceDb);
    const first = dispatcher(firstChannel, { batchSize: 4 });
    const second = dispatcher(secondChannel, { batchSize: 4, db: executorOfPrisma(otherInstanceDb) });

    first.start();
    second.start();
    await waitFor(
      () => prisma.notification.count({ where: { status: 'DELIVERED' } }),
      (delivered) => delivered === ids.length,
      { intervalMs: 20, timeoutMs: 20_000, what: 'every notification to be delivered' },
    );
    await Promise.all([first.stop(), second.stop()]);

    expect(log.overlapping).toBe(0);
    expect(log.calls).toHaveLength(ids.length);
    for (const id of ids) expect(log.deliveriesOf(id)).toBe(1);
    // Both instances took part: the claims really were concurrent, not one dispatcher doing it all.
    expect(firstChannel.callCount).toBeGreaterThan(0);
    expect(secondChannel.callCount).toBeGreaterThan(0);
    await expect(prisma.deliveryAttempt.count()).resolves.toBe(ids.length);
  });
});
