// Proves the URL policy of the real service with NODE_ENV=production: http, loopback (by name and by
// address), private, link-local and unique-local URLs are refused at registration with problem+json
// 422 and nothing is stored; and the sender refuses at connection time a host that resolves to an
// internal address (what a DNS rebinding after registration would look like), without retrying.
// Test mode allowing loopback is proved by webhooks.int.spec.ts, which delivers to 127.0.0.1.
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  requestJson,
  startTestService,
  TEST_CLIENTS,
  type PrismaClientOf,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { AppModule } from '../app.module';
import { WebhookSender } from './deliver-webhooks/webhook-sender';
import { newEndpointSecret } from './domain/webhook-signing';

describe('webhook URL policy with NODE_ENV=production', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: PrismaClientOf['notification'];

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
      NODE_ENV: 'production',
    });
    prisma = service.app.get<PrismaClientOf['notification']>(PRISMA);
  });
  afterAll(async () => {
    await service?.close();
    await database.drop();
  });

  it.each([
    ['http', 'http://127.0.0.1:8080/hooks', 'WEBHOOK_URL_NOT_HTTPS'],
    ['loopback by name', 'https://localhost/hooks', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['loopback by address', 'https://127.0.0.1/hooks', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['IPv6 loopback', 'https://[::1]/hooks', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['a private address', 'https://192.168.10.20/hooks', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['the link-local metadata address', 'https://169.254.169.254/latest/meta-data', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['a unique-local address', 'https://[fd00::7]/hooks', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['a URL with credentials', 'https://user:secret@localhost/hooks', 'WEBHOOK_URL_INVALID'],
  ])('refuses %s with 422 and stores nothing', async (_case, url, code) => {
    const response = await requestJson(service.baseUrl, 'POST', '/v1/webhook-endpoints', {
      headers: TEST_CLIENTS.a.auth,
      body: { url },
    });
    expect(response.status).toBe(422);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 422, code });
    expect(await prisma.webhookEndpoint.count()).toBe(0);
  });

  it('refuses, when it connects, a host that resolves to an internal address, and does not retry', async () => {
    const sender = new WebhookSender({ allowLocalUrls: false, timeoutMs: 5_000 });
    const result = await sender.send({
      url: 'https://localhost:9/hooks',
      messageId: '5d0c7d6e-8a5e-4d8b-9c4c-7e1f0f7f0b11',
      body: '{}',
      secrets: [newEndpointSecret()],
    });
    expect(result).toEqual({
      outcome: 'failed',
      retriable: false,
      error: 'WEBHOOK_URL_NOT_PUBLIC: localhost resolves to an address that is not public, or to none',
    });
  });
});
