// Proves the WebhookChannel against a real HTTP server on 127.0.0.1: the body is signed with
// OncePay-Signature over the exact bytes received, Idempotency-Key is the notification id, and answers
// are classified (2xx delivered; any other answer, a redirect, a refused connection or a timeout a
// retriable failure), with every request bounded by the timeout.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../domain/notification';
import { WebhookChannel, webhookPayloadOf } from './webhook.channel';
import { verifyWebhookSignature } from './webhook-signature';

interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

const SECRET = 'whsec-webhook-test-secret';
const NOW = new Date('2026-11-26T12:00:00.000Z');

/** A receiver whose answer the test sets per request; `hang` never answers. */
class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: number | 'hang' = 200;
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        this.respond(response);
      });
    });
  }

  private respond(response: ServerResponse): void {
    if (this.answer === 'hang') return;
    if (this.answer >= 300 && this.answer < 400)
      response.setHeader('location', 'http://127.0.0.1:1/elsewhere');
    response.writeHead(this.answer, { 'content-type': 'text/plain' }).end('receiver says hi');
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/oncepay`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function sampleNotification(): Notification {
  const transferId = randomUUID();
  return {
    id: randomUUID(),
    transferId,
    clientId: 'client-a',
    outcome: 'FAILED',
    attemptNumber: 2,
    body: {
      transferId,
      outcome: 'FAILED',
      amount: '9223372036854775807',
      currency: 'EUR',
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      reason: 'INSUFFICIENT_FUNDS',
      occurredAt: NOW.toISOString(),
    },
  };
}

describe('WebhookChannel against a real HTTP server', () => {
  let receiver: TestReceiver;
  let url: string;

  beforeEach(async () => {
    receiver = new TestReceiver();
    url = await receiver.listen();
  });
  afterEach(() => receiver.close());

  const channel = (timeoutMs = 2_000) =>
    new WebhookChannel({ url, secret: SECRET, timeoutMs, now: () => NOW });

  it('POSTs the signed notification with its id as the idempotency key', async () => {
    const notification = sampleNotification();

    await expect(channel().deliver(notification)).resolves.toEqual({
      outcome: 'delivered',
      responseStatus: 200,
    });

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/oncepay' });
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['idempotency-key']).toBe(notification.id);
    expect(JSON.parse(request?.body ?? '')).toEqual(webhookPayloadOf(notification));
    expect(JSON.parse(request?.body ?? '')).toMatchObject({
      id: notification.id,
      type: 'transfer.failed',
      data: { amount: '9223372036854775807', reason: 'INSUFFICIENT_FUNDS' },
    });
    const signature = String(request?.headers['oncepay-signature']);
    expect(signature).toMatch(new RegExp(`^t=${NOW.getTime() / 1000},v1=[0-9a-f]{64}$`));
    const clock = { nowSeconds: NOW.getTime() / 1000, toleranceSeconds: 300 };
    expect(verifyWebhookSignature(SECRET, signature, request?.body ?? '', clock)).toBe('valid');
    expect(verifyWebhookSignature('not-the-secret-at-all', signature, request?.body ?? '', clock)).toBe(
      'mismatch',
    );
  });

  it('sends the same idempotency key on every attempt of one notification', async () => {
    const notification = sampleNotification();
    receiver.answer = 503;
    await channel().deliver(notification);
    receiver.answer = 204;
    await channel().deliver({ ...notification, attemptNumber: 3 });
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual([
      notification.id,
      notification.id,
    ]);
  });

  it.each([400, 401, 404, 408, 410, 422, 429, 500, 502, 503])(
    'calls HTTP %i a retriable failure',
    async (status) => {
      receiver.answer = status;
      await expect(channel().deliver(sampleNotification())).resolves.toEqual({
        outcome: 'failed',
        retriable: true,
        error: `receiver answered HTTP ${status}`,
        responseStatus: status,
      });
    },
  );

  it('does not follow a redirect: a failure, retried like any other', async () => {
    receiver.answer = 302;
    await expect(channel().deliver(sampleNotification())).resolves.toMatchObject({
      outcome: 'failed',
      retriable: true,
      responseStatus: 302,
    });
    expect(receiver.requests).toHaveLength(1);
  });

  it('calls a receiver that does not answer in time a retriable failure, within the timeout', async () => {
    receiver.answer = 'hang';
    const startedAt = Date.now();
    await expect(channel(200).deliver(sampleNotification())).resolves.toEqual({
      outcome: 'failed',
      retriable: true,
      error: 'no answer within 200 ms',
    });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('calls a refused connection a retriable failure', async () => {
    await receiver.close();
    const result = await channel().deliver(sampleNotification());
    expect(result).toMatchObject({ outcome: 'failed', retriable: true });
    expect(result.outcome === 'failed' ? result.error : '').toContain('ECONNREFUSED');
    receiver = new TestReceiver();
    await receiver.listen();
  });
});
