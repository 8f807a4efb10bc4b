// Proves the ledger-service posts transfers that arrive through the real broker: a TransferRequested
// published to the transfer-requests topic is posted once, even when delivered again or re-requested
// under a new event id; an event of another type on the topic is ignored; and the answer goes out
// through the outbox to the ledger-results topic. A hold placed and captured through the broker
// answers HoldPlaced then HoldCaptured; a capture after a release is dead-lettered with nothing moved.
import { Logger } from '@nestjs/common';
import {
  createEvent,
  deadLetterTopicOf,
  decodeEvent,
  encodeEvent,
  TOPICS,
  type OncePayEvent,
  type TransferRequested,
} from '@oncepay/contracts';
import { DLT_HEADERS } from '@oncepay/messaging';
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  createTestKafka,
  startTestService,
  TEST_CLIENTS,
  testTopic,
  transferRequested,
  waitFor,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { LedgerDatabase } from '../../database';
import { POST_TRANSFER_CONSUMER } from './post-transfer.handler';
import { AppModule } from '../../app.module';

describe('the transfer-requests consumer', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: LedgerDatabase;
  const kafka = createTestKafka();
  const producer = kafka.producer();
  const listeners: Array<{ disconnect(): Promise<void> }> = [];

  beforeAll(async () => {
    Logger.overrideLogger(['warn', 'error']);
    database = await createTestDatabase('ledger');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    // The app's own client: a second generated client from this file's module registry would load
    // Prisma's query engine twice into one process.
    prisma = service.app.get<LedgerDatabase>(PRISMA);
    await producer.connect();
  });
  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.disconnect()));
    await producer.disconnect();
    await service.close();
    await database.drop();
  });

  async function openAccount(owner: string, allowNegativeBalance = false): Promise<string> {
    const id = randomUUID();
    await prisma.account.create({
      data: { id, ownerClientId: owner, currency: 'EUR', allowNegativeBalance },
    });
    return id;
  }

  async function publish(events: OncePayEvent[]): Promise<void> {
    await producer.send({
      topic: testTopic(TOPICS.transferRequests),
      messages: events.map((event) => encodeEvent(event)),
    });
  }

  it('posts a published TransferRequested once and publishes TransferPosted', async () => {
    const from = await openAccount(TEST_CLIENTS.a.id, true);
    const to = await openAccount(TEST_CLIENTS.b.id);
    const request = transferRequested({
      clientId: TEST_CLIENTS.a.id,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 750n,
    });
    const transferId = request.aggregateId;
    const reRequest = transferRequested({ ...request.payload, transferId, eventId: randomUUID() });
    const notForTheLedger = createEvent('TransferCompleted', request.payload, {
      id: randomUUID(),
      occurredAt: new Date(),
      producer: 'transfer-service',
      sequence: 3,
      correlationId: request.correlationId,
      causationId: null,
    });
    const answers = await listenForAnswers(transferId);

    // One key (the transfer id), so one partition: the consumer sees them in this order.
    await publish([notForTheLedger, request, request, reRequest]);

    // The last event processed means every earlier one on the partition was handled too.
    await waitFor(
      () =>
        prisma.processedMessage.count({
          where: { consumer: POST_TRANSFER_CONSUMER, messageId: reRequest.id },
        }),
      (count) => count === 1,
      { what: 'the re-request to be processed' },
    );
    await expect(
      prisma.processedMessage.count({ where: { messageId: { in: [request.id, notForTheLedger.id] } } }),
    ).resolves.toBe(1);
    await expect(
      prisma.journalEntry.findMany({ where: { transferId }, orderBy: { id: 'asc' } }),
    ).resolves.toEqual([
      expect.objectContaining({ accountId: from, direction: 'DEBIT', amountMinor: 750n }),
      expect.objectContaining({ accountId: to, direction: 'CREDIT', amountMinor: 750n }),
    ]);
    await expect(prisma.account.findUniqueOrThrow({ where: { id: to } })).resolves.toMatchObject({
      balanceMinor: 750n,
    });
    await expect(prisma.ledgerDecision.findUniqueOrThrow({ where: { transferId } })).resolves.toMatchObject({
      outcome: 'POSTED',
    });

    const outbox = await waitFor(
      () => prisma.outboxMessage.findMany({ where: { key: transferId } }),
      (rows) => rows.length === 1 && rows[0]?.status === 'SENT',
      { what: 'the answer to be relayed' },
    );
    const [published] = await answers.received;
    expect(published).toEqual({
      ok: true,
      event: expect.objectContaining({
        id: outbox[0]?.id,
        type: 'TransferPosted',
        causationId: request.id,
        correlationId: request.correlationId,
        sequence: 2,
      }),
    });
  });

  it('answers an overdraft from the broker with TransferRejected INSUFFICIENT_FUNDS', async () => {
    const from = await openAccount(TEST_CLIENTS.a.id);
    const to = await openAccount(TEST_CLIENTS.a.id);
    const request = transferRequested({
      clientId: TEST_CLIENTS.a.id,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 1n,
    });

    await publish([request]);

    const [row] = await waitFor(
      () => prisma.outboxMessage.findMany({ where: { key: request.aggregateId } }),
      (rows) => rows.length === 1,
      { what: 'the rejection in the outbox' },
    );
    expect(decodeEvent(row?.value ?? null)).toMatchObject({
      ok: true,
      event: { type: 'TransferRejected', payload: { reason: 'INSUFFICIENT_FUNDS' } },
    });
    await expect(prisma.journalEntry.count({ where: { transferId: request.aggregateId } })).resolves.toBe(0);
  });

  describe('a hold', () => {
    const EXPIRES_AT = new Date(Date.UTC(2030, 0, 1)).toISOString();

    async function holdRequested(amountMinor: bigint): Promise<TransferRequested> {
      const treasury = await openAccount(TEST_CLIENTS.a.id, true);
      const request = transferRequested({
        clientId: TEST_CLIENTS.a.id,
        fromAccountId: treasury,
        toAccountId: await openAccount(TEST_CLIENTS.b.id),
        amountMinor,
      });
      return { ...request, payload: { ...request.payload, holdExpiresAt: EXPIRES_AT } };
    }

    function step(hold: TransferRequested, type: 'capture' | 'release') {
      const facts = { ...hold.payload, holdExpiresAt: EXPIRES_AT };
      const meta = {
        id: randomUUID(),
        occurredAt: new Date(),
        producer: 'transfer-service',
        sequence: 3,
        correlationId: hold.correlationId,
        causationId: null,
      };
      return type === 'capture'
        ? createEvent('CaptureRequested', { ...facts, captureAmountMinor: 400n }, meta)
        : createEvent('ReleaseRequested', { ...facts, release: 'VOID' }, meta);
    }

    it('is placed, then captured, each answer published to ledger-results', async () => {
      const hold = await holdRequested(1_000n);
      const capture = step(hold, 'capture');
      const answers = await listenForAnswers(hold.aggregateId, 2);

      // One key, one partition: the capture is consumed after the hold it captures.
      await publish([hold, capture]);

      const published = await answers.received;
      expect(published.map((answer) => answer.ok && answer.event.type)).toEqual([
        'HoldPlaced',
        'HoldCaptured',
      ]);
      await expect(
        prisma.hold.findUniqueOrThrow({ where: { transferId: hold.aggregateId } }),
      ).resolves.toMatchObject({ status: 'CAPTURED', capturedMinor: 400n });
      await expect(
        prisma.account.findUniqueOrThrow({ where: { id: hold.payload.toAccountId } }),
      ).resolves.toMatchObject({ balanceMinor: 400n, heldMinor: 0n });
    });

    it('dead-letters a capture after a release: nothing moves, the transfer is not settled by the ledger', async () => {
      const hold = await holdRequested(1_000n);
      const release = step(hold, 'release');
      const capture = step(hold, 'capture');
      const deadLetters = await listenForDeadLetters(capture.id);

      await publish([hold, release, capture]);

      const deadLetter = await deadLetters.received;
      expect(deadLetter.reason).toMatch(/HOLD_RELEASED/);
      await expect(
        prisma.hold.findUniqueOrThrow({ where: { transferId: hold.aggregateId } }),
      ).resolves.toMatchObject({ status: 'RELEASED', release: 'VOID' });
      await expect(prisma.journalEntry.count({ where: { transferId: hold.aggregateId } })).resolves.toBe(0);
      await expect(
        prisma.account.findUniqueOrThrow({ where: { id: hold.payload.fromAccountId } }),
      ).resolves.toMatchObject({ balanceMinor: 0n, heldMinor: 0n });
      await expect(
        prisma.processedMessage.count({ where: { consumer: POST_TRANSFER_CONSUMER, messageId: capture.id } }),
      ).resolves.toBe(0);
      const outbox = await prisma.outboxMessage.findMany({ where: { key: hold.aggregateId } });
      expect(
        outbox
          .map((row) => decodeEvent(row.value))
          .map((d) => d.ok && d.event.type)
          .sort(),
      ).toEqual(['HoldPlaced', 'HoldReleased']);
    });
  });

  /** Reads the requests' dead-letter topic until the dead letter of event `eventId` arrives. */
  async function listenForDeadLetters(eventId: string) {
    const consumer = kafka.consumer({ groupId: `test-dlt-listener-${randomUUID()}` });
    listeners.push(consumer);
    await consumer.connect();
    await consumer.subscribe({
      topic: deadLetterTopicOf(testTopic(TOPICS.transferRequests)),
      fromBeginning: true,
    });
    let deliver: (deadLetter: { reason: string }) => void = () => undefined;
    const received = new Promise<{ reason: string }>((resolve) => (deliver = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeEvent(message.value);
        if (decoded.ok && decoded.event.id === eventId)
          deliver({ reason: message.headers?.[DLT_HEADERS.reason]?.toString() ?? '' });
      },
    });
    return { received };
  }

  /** Reads the service's ledger-results topic until `count` answers for `transferId` arrived, in order. */
  async function listenForAnswers(transferId: string, count = 1) {
    const consumer = kafka.consumer({ groupId: `test-listener-${randomUUID()}` });
    listeners.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: testTopic(TOPICS.ledgerResults), fromBeginning: true });
    const answers: ReturnType<typeof decodeEvent>[] = [];
    let deliver: (decoded: ReturnType<typeof decodeEvent>[]) => void = () => undefined;
    const received = new Promise<ReturnType<typeof decodeEvent>[]>((resolve) => (deliver = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== transferId) return;
        answers.push(decodeEvent(message.value));
        if (answers.length === count) deliver(answers);
      },
    });
    return { received };
  }
});
