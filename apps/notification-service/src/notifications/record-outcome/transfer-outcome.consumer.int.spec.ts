// Proves the whole path on the real broker, database and HTTP: a TransferCompleted published to the
// transfer-outcomes topic becomes one notification, delivered once as a signed webhook and shown as
// DELIVERED by the API, while a redelivery of the event and a second event for the same transfer
// change nothing.
import { encodeEvent, TOPICS, type OncePayEvent } from '@oncepay/contracts';
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  createTestKafka,
  requestJson,
  sampleTransferCompleted,
  sampleTransferRequested,
  startTestService,
  TEST_CLIENTS,
  testTopic,
  waitFor,
  type PrismaClientOf,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../channels/webhook-signature';
import { RECORD_OUTCOME_CONSUMER } from './record-outcome.handler';
import { AppModule } from '../../app.module';

const WEBHOOK_SECRET = 'whsec-end-to-end-secret';

describe('transfer outcome -> notification -> webhook, through the real broker', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  let service: TestService;
  let receiver: Server;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const producer = createTestKafka().producer();

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
      NOTIFICATION_CHANNEL: 'webhook',
      WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/oncepay`,
      WEBHOOK_SECRET,
      DISPATCH_INTERVAL_MS: '50',
    });
    // The app's own client: a second Prisma client loaded outside the app's module registry broke the
    // query compiler's WebAssembly state here ("attempted to take ownership of Rust value").
    prisma = service.app.get<PrismaClientOf['notification']>(PRISMA);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await service?.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await database.drop();
  });

  /** Publishes as the transfer-service's relay does: encoded envelope, keyed by the transfer id. */
  async function publish(...events: OncePayEvent[]): Promise<void> {
    await producer.send({
      topic: testTopic(TOPICS.transferOutcomes),
      acks: -1,
      messages: events.map((event) => encodeEvent(event)),
    });
  }

  it('delivers exactly one signed notification per transfer outcome', async () => {
    const event = sampleTransferCompleted({ clientId: TEST_CLIENTS.a.id, amountMinor: 77_000n });
    const transferId = event.payload.transferId;
    const secondEventForTransfer = sampleTransferCompleted({ transferId, clientId: TEST_CLIENTS.a.id });

    // One partition (same key), in order: the event, its redelivery, another event for the transfer,
    // and an event this service ignores.
    await publish(event, event, secondEventForTransfer, sampleTransferRequested({ transferId }));

    const notification = await waitFor(
      () => prisma.notification.findUnique({ where: { transferId } }),
      (row) => row?.status === 'DELIVERED',
      { what: `the notification of transfer ${transferId} to be delivered` },
    );
    // The second event was handled after the first (same partition), so waiting for it covers all three.
    await waitFor(
      () =>
        prisma.processedMessage.count({
          where: { consumer: RECORD_OUTCOME_CONSUMER, messageId: secondEventForTransfer.id },
        }),
      (count) => count === 1,
      { what: 'the second event to be processed' },
    );

    expect(await prisma.notification.count({ where: { transferId } })).toBe(1);
    expect(notification).toMatchObject({
      clientId: TEST_CLIENTS.a.id,
      outcome: 'COMPLETED',
      attempts: 1,
      eventId: event.id,
    });
    const webhooks = received.filter((request) => request.headers['idempotency-key'] === notification?.id);
    expect(webhooks).toHaveLength(1);
    const [webhook] = webhooks;
    expect(JSON.parse(webhook?.body ?? '')).toMatchObject({
      id: notification?.id,
      type: 'transfer.completed',
      data: { transferId, outcome: 'COMPLETED', amount: '77000', currency: 'EUR', reason: null },
    });
    const check = verifyWebhookSignature(
      WEBHOOK_SECRET,
      String(webhook?.headers['oncepay-signature']),
      webhook?.body ?? '',
      {
        nowSeconds: Math.floor(Date.now() / 1000),
        toleranceSeconds: 300,
      },
    );
    expect(check).toBe('valid');
    await expect(
      prisma.deliveryAttempt.findMany({ where: { notificationId: notification?.id } }),
    ).resolves.toMatchObject([
      { attemptNumber: 1, channel: 'webhook', succeeded: true, responseStatus: 204 },
    ]);

    const listed = await requestJson(service.baseUrl, 'GET', `/v1/notifications?transferId=${transferId}`, {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(listed.body).toMatchObject({
      data: [{ transferId, status: 'DELIVERED', attempts: 1, outcome: 'COMPLETED' }],
    });
  });
});
