// Proves per-client webhooks on the real broker, database and HTTP: each client's endpoint receives the
// events of its own transfers only (completed, failed, refunded, captured, voided, expired), filtered by
// the types it subscribed to; every delivery verifies with the endpoint's secret through the
// standardwebhooks library; during a rotation's overlap both secrets' signatures verify, after it only
// the new one's; a receiver's 500 is retried until it answers 2xx, and the endpoint's history shows every
// attempt; a client never sees, rotates, reads or deletes another client's endpoint (404).
import {
  createEvent,
  encodeEvent,
  TOPICS,
  type OncePayEvent,
  type TransferCaptured,
  type TransferExpired,
  type TransferVoided,
} from '@oncepay/contracts';
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  createTestKafka,
  requestJson,
  sampleTransferCompleted,
  sampleTransferFailed,
  startTestService,
  TEST_CLIENTS,
  testTopic,
  waitFor,
  type PrismaClientOf,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { AppModule } from '../app.module';
import type { WebhookDeliveryPage } from './list-deliveries/list-deliveries.handler';
import type {
  RegisteredWebhookEndpoint,
  RotatedWebhookSecret,
  WebhookEndpointPage,
} from './manage-endpoints/webhook-endpoint.requests';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the payload says, parsed. */
  type: string;
  transferId: string;
}

/** The hold outcomes the transfer-service publishes, built through the real contracts. */
function holdOutcome<T extends 'TransferCaptured' | 'TransferVoided' | 'TransferExpired'>(
  type: T,
  clientId: string,
): OncePayEvent {
  const facts = {
    transferId: randomUUID(),
    clientId,
    fromAccountId: randomUUID(),
    toAccountId: randomUUID(),
    amountMinor: 5_000n,
    currency: 'EUR',
    reference: null,
    holdExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  };
  const meta = {
    id: randomUUID(),
    occurredAt: new Date(),
    producer: 'transfer-service',
    sequence: 5,
    correlationId: randomUUID(),
    causationId: randomUUID(),
  };
  const event: TransferCaptured | TransferVoided | TransferExpired =
    type === 'TransferCaptured'
      ? createEvent('TransferCaptured', { ...facts, captureAmountMinor: 3_000n }, meta)
      : createEvent(type as 'TransferVoided' | 'TransferExpired', facts, meta);
  return event;
}

describe('per-client webhook endpoints, through the real broker', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  let service: TestService;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  /** `path transferId` of deliveries the receiver answers 500, and how many times more. */
  const failuresLeft = new Map<string, number>();
  const producer = createTestKafka().producer();

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const payload = JSON.parse(body) as { type: string; data: { transferId: string } };
        const transferId = payload.data.transferId;
        received.push({
          path: request.url ?? '',
          headers: request.headers,
          body,
          type: payload.type,
          transferId,
        });
        const key = `${request.url ?? ''} ${transferId}`;
        const failures = failuresLeft.get(key) ?? 0;
        if (failures > 0) failuresLeft.set(key, failures - 1);
        response.writeHead(failures > 0 ? 500 : 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
      WEBHOOK_ALLOW_LOCAL_URLS: 'true',
      DISPATCH_INTERVAL_MS: '50',
      NOTIFICATION_BACKOFF_INITIAL_MS: '50',
      NOTIFICATION_BACKOFF_MAX_MS: '200',
    });
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

  async function publish(...events: OncePayEvent[]): Promise<void> {
    await producer.send({
      topic: testTopic(TOPICS.transferOutcomes),
      acks: -1,
      messages: events.map((event) => encodeEvent(event)),
    });
  }

  const api = (
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    client: { auth: Record<string, string> },
    body?: unknown,
  ) =>
    requestJson(service.baseUrl, method, path, {
      headers: client.auth,
      ...(body === undefined ? {} : { body }),
    });

  async function register(
    client: { auth: Record<string, string> },
    body: unknown,
  ): Promise<RegisteredWebhookEndpoint> {
    const response = await api('POST', '/v1/webhook-endpoints', client, body);
    expect(response.status).toBe(201);
    return response.body as RegisteredWebhookEndpoint;
  }

  /** What the endpoint at `path` received for the transfer (client a's catch-all endpoint gets it too). */
  function receivedFor(path: string, transferId: string): Received[] {
    return received.filter((request) => request.path === path && request.transferId === transferId);
  }

  async function untilReceived(path: string, transferId: string, count = 1): Promise<Received[]> {
    return waitFor(
      async () => receivedFor(path, transferId),
      (requests) => requests.length >= count,
      { what: `${count} webhook(s) at ${path} for transfer ${transferId}` },
    );
  }

  /** The standardwebhooks library's own check: throws unless one signature in the header is `secret`'s. */
  function verifies(secret: string, request: Received): boolean {
    try {
      new Webhook(secret).verify(request.body, {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      });
      return true;
    } catch (error) {
      if (error instanceof WebhookVerificationError) return false;
      throw error;
    }
  }

  it("delivers each client's own events only, of the types it subscribed to, each verifying", async () => {
    const endpointA = await register(TEST_CLIENTS.a, { url: `${receiverUrl}/a` });
    const endpointB = await register(TEST_CLIENTS.b, {
      url: `${receiverUrl}/b`,
      events: ['transfer.completed'],
    });
    expect(endpointA).toMatchObject({
      enabled: true,
      disabledAt: null,
      events: expect.arrayContaining(['hold.expired']),
    });
    expect(endpointA.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpointB.events).toEqual(['transfer.completed']);

    const completedA = sampleTransferCompleted({ clientId: TEST_CLIENTS.a.id });
    const refundA = createEvent(
      'TransferCompleted',
      {
        ...sampleTransferCompleted({ clientId: TEST_CLIENTS.a.id }).payload,
        refundOf: completedA.payload.transferId,
      },
      {
        id: randomUUID(),
        occurredAt: new Date(),
        producer: 'transfer-service',
        sequence: 3,
        correlationId: randomUUID(),
        causationId: randomUUID(),
      },
    );
    const failedA = sampleTransferFailed({ clientId: TEST_CLIENTS.a.id });
    const holds = [
      holdOutcome('TransferCaptured', TEST_CLIENTS.a.id),
      holdOutcome('TransferVoided', TEST_CLIENTS.a.id),
      holdOutcome('TransferExpired', TEST_CLIENTS.a.id),
    ];
    const completedB = sampleTransferCompleted({ clientId: TEST_CLIENTS.b.id });
    const failedB = sampleTransferFailed({ clientId: TEST_CLIENTS.b.id });
    const ofA = [completedA, refundA, failedA, ...holds];
    // A redelivered event (Kafka is at-least-once) must not deliver twice.
    await publish(...ofA, completedA, completedB, failedB);

    const expectedTypes = new Map<string, string>([
      [completedA.payload.transferId, 'transfer.completed'],
      [refundA.payload.transferId, 'transfer.refunded'],
      [failedA.payload.transferId, 'transfer.failed'],
      [holds[0]!.payload.transferId, 'hold.captured'],
      [holds[1]!.payload.transferId, 'hold.voided'],
      [holds[2]!.payload.transferId, 'hold.expired'],
    ]);
    for (const [transferId, type] of expectedTypes) {
      const [request] = await untilReceived('/a', transferId);
      expect(request).toMatchObject({ path: '/a', type });
      expect(verifies(endpointA.secret, request!)).toBe(true);
      expect(verifies(endpointB.secret, request!)).toBe(false);
    }
    const [toB] = await untilReceived('/b', completedB.payload.transferId);
    expect(toB).toMatchObject({ path: '/b', type: 'transfer.completed' });
    expect(verifies(endpointB.secret, toB!)).toBe(true);
    const captured = JSON.parse(receivedFor('/a', holds[0]!.payload.transferId)[0]!.body) as {
      data: unknown;
    };
    expect(captured.data).toMatchObject({ outcome: 'CAPTURED', amount: '5000', capturedAmount: '3000' });

    // b's failure was recorded (its notification exists), and b did not subscribe to it: no delivery
    // was created with it, in its transaction (so none can be sent later, after these checks).
    await waitFor(
      () => prisma.notification.count({ where: { transferId: failedB.payload.transferId } }),
      (count) => count === 1,
      { what: "b's failed transfer to be recorded" },
    );
    await expect(
      prisma.webhookDelivery.count({ where: { notification: { transferId: failedB.payload.transferId } } }),
    ).resolves.toBe(0);
    const transfersOfA = new Set(ofA.map((event) => event.payload.transferId));
    expect(
      received.filter((request) => request.path === '/a').every((r) => transfersOfA.has(r.transferId)),
    ).toBe(true);
    expect(received.filter((request) => request.path === '/b').map((r) => r.transferId)).toEqual([
      completedB.payload.transferId,
    ]);
    expect(received.filter((request) => request.transferId === completedA.payload.transferId)).toHaveLength(
      1,
    );
  });

  it('retries a delivery the receiver answered 500, and shows every attempt in the history', async () => {
    const endpoint = await register(TEST_CLIENTS.a, {
      url: `${receiverUrl}/retry`,
      events: ['transfer.failed'],
    });
    const event = sampleTransferFailed({ clientId: TEST_CLIENTS.a.id });
    failuresLeft.set(`/retry ${event.payload.transferId}`, 2);
    await publish(event);
    const requests = await untilReceived('/retry', event.payload.transferId, 3);
    // Every attempt is the same message: same webhook-id, same body, each signed.
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(requests.every((r) => verifies(endpoint.secret, r))).toBe(true);

    const history = await waitFor(
      async () =>
        (await api('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, TEST_CLIENTS.a))
          .body as WebhookDeliveryPage,
      (page) => page.data[0]?.status === 'DELIVERED',
      { what: 'the delivery to show DELIVERED' },
    );
    expect(history.data).toHaveLength(1);
    expect(history.data[0]).toMatchObject({
      transferId: event.payload.transferId,
      notificationId: requests[0]!.headers['webhook-id'],
      eventType: 'transfer.failed',
      status: 'DELIVERED',
      attempts: 3,
      nextAttemptAt: null,
      attemptLog: [
        { attemptNumber: 1, succeeded: false, responseStatus: 500, error: 'receiver answered HTTP 500' },
        { attemptNumber: 2, succeeded: false, responseStatus: 500 },
        { attemptNumber: 3, succeeded: true, responseStatus: 204, error: null },
      ],
    });
  });

  it('signs with both secrets during a rotation overlap, and with the new one only after it', async () => {
    const endpoint = await register(TEST_CLIENTS.a, {
      url: `${receiverUrl}/rotation`,
      events: ['transfer.completed'],
    });
    const rotated = await api('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, TEST_CLIENTS.a, {
      overlapSeconds: 3_600,
    });
    expect(rotated.status).toBe(200);
    const { secret: newSecret, previousSecretsExpireAt } = rotated.body as RotatedWebhookSecret;
    expect(newSecret).not.toBe(endpoint.secret);
    expect(Date.parse(previousSecretsExpireAt)).toBeGreaterThan(Date.now() + 3_000_000);

    const during = sampleTransferCompleted({ clientId: TEST_CLIENTS.a.id });
    await publish(during);
    const [overlapping] = await untilReceived('/rotation', during.payload.transferId);
    expect(String(overlapping!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(endpoint.secret, overlapping!)).toBe(true);
    expect(verifies(newSecret, overlapping!)).toBe(true);

    // The overlap ends: what an hour does, done to the row (time is data here, not a wait).
    await prisma.webhookSecret.updateMany({
      where: { endpointId: endpoint.id, secret: endpoint.secret },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    const after = sampleTransferCompleted({ clientId: TEST_CLIENTS.a.id });
    await publish(after);
    const [single] = await untilReceived('/rotation', after.payload.transferId);
    expect(String(single!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(newSecret, single!)).toBe(true);
    expect(verifies(endpoint.secret, single!)).toBe(false);
  });

  it("answers 404 for another client's endpoint, whatever the request", async () => {
    const endpoint = await register(TEST_CLIENTS.a, { url: `${receiverUrl}/private` });
    for (const [method, path] of [
      ['GET', `/v1/webhook-endpoints/${endpoint.id}`],
      ['DELETE', `/v1/webhook-endpoints/${endpoint.id}`],
      ['POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`],
      ['GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`],
      ['GET', `/v1/webhook-endpoints/not-a-uuid`],
    ] as const) {
      const response = await api(method, path, TEST_CLIENTS.b, method === 'POST' ? {} : undefined);
      expect({ method, path, status: response.status, body: response.body }).toMatchObject({
        status: 404,
        body: { code: 'WEBHOOK_ENDPOINT_NOT_FOUND' },
      });
      expect(response.contentType).toMatch(/^application\/problem\+json/);
    }
    const listedByB = (await api('GET', '/v1/webhook-endpoints', TEST_CLIENTS.b)).body as WebhookEndpointPage;
    expect(listedByB.data.map((e) => e.id)).not.toContain(endpoint.id);
    const mine = await api('GET', `/v1/webhook-endpoints/${endpoint.id}`, TEST_CLIENTS.a);
    expect(mine.status).toBe(200);
    expect(mine.body).not.toHaveProperty('secret');
    expect((await api('GET', `/v1/webhook-endpoints/${endpoint.id}`, TEST_CLIENTS.a)).body).toMatchObject({
      enabled: true,
    });
  });

  it('gives up the pending deliveries of an endpoint disabled while they were being retried', async () => {
    const endpoint = await register(TEST_CLIENTS.b, {
      url: `${receiverUrl}/failing`,
      events: ['transfer.completed'],
    });
    const event = sampleTransferCompleted({ clientId: TEST_CLIENTS.b.id });
    failuresLeft.set(`/failing ${event.payload.transferId}`, Number.MAX_SAFE_INTEGER);
    await publish(event);
    await untilReceived('/failing', event.payload.transferId);
    expect((await api('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, TEST_CLIENTS.b)).status).toBe(200);
    const history = await waitFor(
      async () =>
        (await api('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, TEST_CLIENTS.b))
          .body as WebhookDeliveryPage,
      (page) => page.data[0]?.status === 'GAVE_UP',
      { what: 'the delivery to the disabled endpoint to be given up' },
    );
    expect(history.data[0]).toMatchObject({ lastError: 'the endpoint was disabled', nextAttemptAt: null });
    const sent = receivedFor('/failing', event.payload.transferId).length;
    expect(history.data[0]!.attemptLog).toHaveLength(sent);
  });

  it('sends nothing more to a disabled endpoint, and refuses to rotate its secret', async () => {
    const endpoint = await register(TEST_CLIENTS.b, {
      url: `${receiverUrl}/disabled`,
      events: ['transfer.failed'],
    });
    const disabled = await api('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, TEST_CLIENTS.b);
    expect(disabled).toMatchObject({ status: 200, body: { enabled: false } });
    expect((await api('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, TEST_CLIENTS.b)).status).toBe(200);
    const rotate = await api(
      'POST',
      `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      TEST_CLIENTS.b,
      {},
    );
    expect(rotate).toMatchObject({ status: 409, body: { code: 'WEBHOOK_ENDPOINT_DISABLED' } });

    const event = sampleTransferFailed({ clientId: TEST_CLIENTS.b.id });
    await publish(event);
    await waitFor(
      () => prisma.notification.findUnique({ where: { transferId: event.payload.transferId } }),
      (row) => row !== null,
      { what: 'the notification to be recorded' },
    );
    expect(await prisma.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(0);
  });

  it.each([
    ['a body without url', {}],
    ['an unknown event type', { url: 'http://127.0.0.1:1/x', events: ['transfer.moved'] }],
    ['an empty event list', { url: 'http://127.0.0.1:1/x', events: [] }],
    ['an unknown field', { url: 'http://127.0.0.1:1/x', secret: 'mine' }],
  ])('answers 400 problem+json for %s', async (_case, body) => {
    const response = await api('POST', '/v1/webhook-endpoints', TEST_CLIENTS.a, body);
    expect(response.status).toBe(400);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});
