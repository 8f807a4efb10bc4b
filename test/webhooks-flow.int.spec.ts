// Proves per-client webhooks through the public APIs of the three real services on the real broker:
// each client registers its own endpoint, requests transfers, and its endpoint receives exactly one
// signed event per transfer it requested (completed or failed), verifying with its secret through the
// standardwebhooks library; no endpoint ever receives another client's transfer, not even one that
// credits that client's own account, nor the operator's funding transfers. A hold's end (captured,
// voided, expired) and a refund reach the client's endpoint as hold.* and transfer.refunded.
import {
  createLedgerClient,
  createNotificationClient,
  createTransferClient,
  type Transfer,
  type TransferClient,
} from '@oncepay/client';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { bootServices, TEST_CLIENTS, waitFor, type BootedServices } from '@oncepay/test-support';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  type: string;
  transferId: string;
}
type Client = { id: string; apiKey: string };
/** The Idempotency-Key header of one request. */
type Keyed = { 'Idempotency-Key': string };

describe('webhooks per client, across transfer, ledger and notification services', () => {
  let stack: BootedServices<'transfer' | 'ledger' | 'notification'> | undefined;
  const urls = { transfer: '', ledger: '', notification: '' };
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const payload = JSON.parse(body) as { type: string; data: { transferId: string } };
        received.push({
          path: request.url ?? '',
          headers: request.headers,
          body,
          type: payload.type,
          transferId: payload.data.transferId,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const booted = await bootServices(['ledger', 'transfer', 'notification'], {
      notification: { WEBHOOK_ALLOW_LOCAL_URLS: 'true', DISPATCH_INTERVAL_MS: '50' },
    });
    stack = booted;
    for (const name of ['transfer', 'ledger', 'notification'] as const) urls[name] = booted.baseUrl(name);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  async function openAccount(client: Client, allowNegativeBalance = false): Promise<string> {
    const { data, response } = await createLedgerClient(urls.ledger, client).POST('/v1/accounts', {
      body: { currency: 'EUR', allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return data!.id;
  }

  /** Requests a transfer and waits for its final status. */
  async function transfer(client: Client, from: string, to: string, amount: string) {
    return step(
      client,
      (transfers, header) =>
        transfers.POST('/v1/transfers', {
          params: { header },
          body: { fromAccountId: from, toAccountId: to, amount, currency: 'EUR' },
        }),
      (status) => status !== 'PENDING',
    );
  }

  /** Sends a step of a transfer (a hold, a capture, a void, a refund) with a new key and waits until it rests. */
  async function step(
    client: Client,
    send: (transfers: TransferClient, header: Keyed) => Promise<{ data?: Transfer; response: Response }>,
    rests: (status: Transfer['status']) => boolean,
  ): Promise<Transfer> {
    const transfers = createTransferClient(urls.transfer, client);
    const { data, response } = await send(transfers, { 'Idempotency-Key': randomUUID() });
    expect(response.status).toBe(202);
    const id = data!.id;
    return waitFor(
      async () => (await transfers.GET('/v1/transfers/{id}', { params: { path: { id } } })).data!,
      (transfer) => rests(transfer.status),
      { timeoutMs: 60_000, what: `transfer ${id} to rest` },
    );
  }

  async function register(client: Client, path: string): Promise<string> {
    const { data, response } = await createNotificationClient(urls.notification, client).POST(
      '/v1/webhook-endpoints',
      { body: { url: `${receiverUrl}${path}` } },
    );
    expect(response.status).toBe(201);
    return data!.secret;
  }

  it("delivers each client's own transfers, signed, to its own endpoint only", async () => {
    const secretA = await register(TEST_CLIENTS.a, '/a');
    const secretB = await register(TEST_CLIENTS.b, '/b');
    const treasury = await openAccount(TEST_CLIENTS.operator, true);
    const alice = await openAccount(TEST_CLIENTS.a);
    const bob = await openAccount(TEST_CLIENTS.b);
    const funding = await transfer(TEST_CLIENTS.operator, treasury, alice, '10000');
    expect(funding.status).toBe('COMPLETED');

    const paid = await transfer(TEST_CLIENTS.a, alice, bob, '2500');
    const overdraft = await transfer(TEST_CLIENTS.a, alice, bob, '999999');
    const paidBack = await transfer(TEST_CLIENTS.b, bob, alice, '400');
    expect([paid.status, overdraft.status, paidBack.status]).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);

    await waitFor(
      async () => received.length,
      (count) => count >= 3,
      { timeoutMs: 60_000, what: 'three webhooks' },
    );
    const byTransfer = (id: string) => received.filter((request) => request.transferId === id);
    expect(byTransfer(paid.id)).toMatchObject([{ path: '/a', type: 'transfer.completed' }]);
    expect(byTransfer(overdraft.id)).toMatchObject([{ path: '/a', type: 'transfer.failed' }]);
    expect(byTransfer(paidBack.id)).toMatchObject([{ path: '/b', type: 'transfer.completed' }]);
    expect(byTransfer(funding.id)).toEqual([]);
    for (const request of received) {
      const [own, other] = request.path === '/a' ? [secretA, secretB] : [secretB, secretA];
      const headers = {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      };
      expect(new Webhook(own).verify(request.body, headers)).toMatchObject({
        data: { transferId: request.transferId },
      });
      expect(() => new Webhook(other).verify(request.body, headers)).toThrow();
    }
  });

  it('announces a capture, a void, an expiry and a refund to the client that asked for them', async () => {
    const secret = await register(TEST_CLIENTS.a, '/holds');
    const treasury = await openAccount(TEST_CLIENTS.operator, true);
    const payer = await openAccount(TEST_CLIENTS.a);
    const shop = await openAccount(TEST_CLIENTS.a);
    expect((await transfer(TEST_CLIENTS.operator, treasury, payer, '10000')).status).toBe('COMPLETED');
    // Where a hold rests once the ledger answered (a hold of a second may expire before it is seen HELD;
    // FAILED ends the wait with a clear mismatch rather than a timeout).
    const placed = (status: string) => ['HELD', 'EXPIRING', 'EXPIRED', 'FAILED'].includes(status);
    const holdOf = (amount: string, expiresInSeconds = 3600) =>
      step(
        TEST_CLIENTS.a,
        (transfers, header) =>
          transfers.POST('/v1/transfers', {
            params: { header },
            body: {
              fromAccountId: payer,
              toAccountId: shop,
              amount,
              currency: 'EUR',
              hold: { expiresInSeconds },
            },
          }),
        placed,
      );
    const captured = await holdOf('3000');
    expect(captured).toMatchObject({ status: 'HELD' });
    await step(
      TEST_CLIENTS.a,
      (transfers, header) =>
        transfers.POST('/v1/transfers/{id}/capture', {
          params: { path: { id: captured.id }, header },
          body: { amount: '2000' },
        }),
      () => true,
    );
    const voided = await holdOf('500');
    expect(voided).toMatchObject({ status: 'HELD' });
    await step(
      TEST_CLIENTS.a,
      (transfers, header) =>
        transfers.POST('/v1/transfers/{id}/void', { params: { path: { id: voided.id }, header }, body: {} }),
      () => true,
    );
    const expired = await holdOf('700', 1);
    await waitFor(
      async () => received.filter((r) => r.path === '/holds' && r.transferId === captured.id).length,
      (count) => count === 1,
      { timeoutMs: 60_000, what: 'the capture webhook' },
    );
    const refund = await step(
      TEST_CLIENTS.a,
      (transfers, header) =>
        transfers.POST('/v1/transfers/{id}/refunds', {
          params: { path: { id: captured.id }, header },
          body: { amount: '500' },
        }),
      (status) => status !== 'PENDING',
    );
    const expected = new Map([
      [captured.id, 'hold.captured'],
      [voided.id, 'hold.voided'],
      [expired.id, 'hold.expired'],
      [refund.id, 'transfer.refunded'],
    ]);
    const atHolds = await waitFor(
      async () => received.filter((request) => request.path === '/holds'),
      (requests) => [...expected.keys()].every((id) => requests.some((r) => r.transferId === id)),
      { timeoutMs: 60_000, what: 'the four hold and refund webhooks' },
    );
    expect(new Map(atHolds.map((request) => [request.transferId, request.type]))).toEqual(expected);
    for (const request of atHolds) {
      const headers = {
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      };
      expect(new Webhook(secret).verify(request.body, headers)).toBeTruthy();
    }
  }, 180_000);
});
