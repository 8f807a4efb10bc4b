// Proves, on the real notification database, that a transfer gets exactly one notification: the first
// outcome event creates it, the same event again and a second event (new id) for the same transfer
// change nothing, even when deliveries race, and a contradicting outcome is reported, never applied.
import {
  createPrismaClient,
  createTestDatabase,
  sampleTransferCompleted,
  sampleTransferFailed,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { RECORD_OUTCOME_CONSUMER, RecordOutcomeHandler } from './record-outcome.handler';

describe('RecordOutcomeHandler on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  let handler: RecordOutcomeHandler;

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    prisma = createPrismaClient('notification', database.url);
    handler = new RecordOutcomeHandler(prisma);
  });
  afterAll(async () => {
    await prisma.$disconnect();
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
});
