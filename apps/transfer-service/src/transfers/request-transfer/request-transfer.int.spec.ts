// Proves POST /v1/transfers accepts a transfer exactly once per Idempotency-Key on the real database:
// 202 with the PENDING transfer, its TransferRequested outbox row in the same commit, the original
// answer replayed for a retry, 422 for the key reused with another body, one transfer for 50 concurrent
// requests with one key, keys scoped per client, and a problem+json 4xx for every invalid input, among
// them what only the request shows to be wrong (the same account twice, a currency not in use, text
// PostgreSQL cannot store, a prototype-poisoning key). A retry is compared as understood, not as spelt,
// and replayed byte for byte.
import { randomUUID } from 'node:crypto';
import type { TransferDatabase } from '../../database';
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  startTestService,
  TEST_CLIENTS,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { AppModule } from '../../app.module';

describe('POST /v1/transfers', () => {
  let database: TestDatabase;
  let service: TestService;
  // The app's own client: a second Prisma runtime in the same jest worker corrupts the first one's decoding.
  let prisma: TransferDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    prisma = service.app.get<TransferDatabase>(PRISMA);
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  const SAME = randomUUID();
  const validBody = () => ({
    fromAccountId: randomUUID(),
    toAccountId: randomUUID(),
    amount: '1500',
    currency: 'EUR',
    reference: 'rent',
  });

  function post(body: unknown, key: string | null = randomUUID(), client: keyof typeof TEST_CLIENTS = 'a') {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...TEST_CLIENTS[client].auth,
    };
    if (key !== null) headers['idempotency-key'] = key;
    return fetch(`${service.baseUrl}/v1/transfers`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  const outboxRowsFor = (transferId: string) => prisma.outboxMessage.findMany({ where: { key: transferId } });

  it('accepts a transfer: 202, Location, PENDING, and its TransferRequested in the outbox', async () => {
    const body = validBody();
    const response = await post(body);
    const transfer = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toBe(`/v1/transfers/${String(transfer.id)}`);
    expect(transfer).toMatchObject({
      status: 'PENDING',
      amount: '1500',
      currency: 'EUR',
      reference: 'rent',
      failureReason: null,
      fromAccountId: body.fromAccountId,
    });
    const outbox = await outboxRowsFor(String(transfer.id));
    expect(outbox).toHaveLength(1);
    expect(JSON.parse(outbox[0]!.value)).toMatchObject({
      type: 'TransferRequested',
      sequence: 1,
      payload: { amountMinor: '1500', clientId: TEST_CLIENTS.a.id },
    });
  });

  it('replays the original answer for the same key and body, moving nothing twice', async () => {
    const body = validBody();
    const key = randomUUID();
    const first = await post(body, key);
    const firstBody = await first.json();
    const again = await post({ ...body }, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    expect(await prisma.transfer.count({ where: { fromAccountId: body.fromAccountId } })).toBe(1);
  });

  it('replays byte for byte, and takes a retry spelt otherwise (ids in capitals, keys reordered) as the same request', async () => {
    const body = validBody();
    const key = randomUUID();
    const first = await post(body, key);
    const firstText = await first.text();
    const { reference, currency, amount, toAccountId, fromAccountId } = body;
    const respelt = {
      reference,
      currency,
      amount,
      toAccountId: toAccountId.toUpperCase(),
      fromAccountId: fromAccountId.toUpperCase(),
    };
    const again = await post(respelt, key);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(firstText);
    expect(await prisma.transfer.count({ where: { fromAccountId } })).toBe(1);
  });

  it('answers 422 when the key is reused with another body', async () => {
    const key = randomUUID();
    await post(validBody(), key);
    const response = await post(validBody(), key);
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('creates one transfer for 50 concurrent requests with one key; the other 49 replay it', async () => {
    const body = validBody();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(body, key)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(202));
    const replayed = responses.filter((r) => r.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(49);
    const ids = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id)),
    );
    expect(ids.size).toBe(1);
    const transfers = await prisma.transfer.findMany({ where: { fromAccountId: body.fromAccountId } });
    expect(transfers).toHaveLength(1);
    expect(await outboxRowsFor(transfers[0]!.id)).toHaveLength(1);
  });

  it('scopes keys to the client: the same key from another client is a new transfer', async () => {
    const key = randomUUID();
    const a = (await (await post(validBody(), key, 'a')).json()) as { id: string };
    const b = (await (await post(validBody(), key, 'b')).json()) as { id: string };
    expect(a.id).not.toEqual(b.id);
  });

  it('answers 400 without an Idempotency-Key and 401 without an API key', async () => {
    const noKey = await post(validBody(), null);
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED' });
    const anonymous = await fetch(`${service.baseUrl}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
  });

  it.each<[string, unknown]>([
    ['a zero amount', { amount: '0' }],
    ['a negative amount', { amount: '-100' }],
    ['a fractional amount', { amount: '10.50' }],
    ['a non-numeric amount', { amount: 'ten' }],
    ['a numeric (float-prone) amount', { amount: 100 }],
    ['an amount over 2^63-1', { amount: '9223372036854775808' }],
    ['a lower-case currency', { currency: 'eur' }],
    ['a four-letter currency', { currency: 'EURO' }],
    ['a currency code not in use (XXX)', { currency: 'XXX' }],
    ['a withdrawn currency (DEM)', { currency: 'DEM' }],
    ['an account id that is not a UUID', { fromAccountId: 'acc-1' }],
    ['an unknown field', { priority: 'high' }],
    ['the same account on both sides', { toAccountId: SAME, fromAccountId: SAME }],
    [
      'the same account on both sides, spelt in two cases',
      { toAccountId: SAME.toUpperCase(), fromAccountId: SAME },
    ],
    ['a NUL character in the reference', { reference: 'rent\u0000' }],
    ['a control character in the reference', { reference: 'rent\nnext line' }],
    ['an unpaired surrogate in the reference', { reference: 'rent \ud800' }],
    ['an empty reference', { reference: '' }],
  ])('answers 400 problem+json for %s, storing nothing', async (_, override) => {
    const body = { ...validBody(), ...(override as object) };
    const key = randomUUID();
    const response = await post(body, key);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await prisma.idempotencyKey.count({ where: { key } })).toBe(0);
  });

  it('names the Idempotency-Key header, not the body, when the key is invalid', async () => {
    const response = await post(validBody(), 'two words');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      detail: expect.stringMatching(/^Idempotency-Key: /),
    });
  });

  it('takes text beyond ASCII in the reference, as sent', async () => {
    const response = await post({ ...validBody(), reference: 'Miete März 🏠 — 家賃' });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ reference: 'Miete März 🏠 — 家賃' });
  });

  it('answers 400 MALFORMED_JSON for a body with a prototype-poisoning key, storing nothing', async () => {
    const key = randomUUID();
    for (const poisoned of [
      `{"__proto__":{"isAdmin":true},"amount":"1"}`,
      `{"constructor":{"prototype":{"isAdmin":true}}}`,
    ]) {
      const response = await post(poisoned, key);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        code: 'MALFORMED_JSON',
        detail: expect.stringContaining('__proto__'),
      });
    }
    expect(await prisma.idempotencyKey.count({ where: { key } })).toBe(0);
  });

  it('answers 400 VALIDATION_ERROR for an empty body sent as JSON: no body, not malformed JSON', async () => {
    const response = await post('');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('answers 400 for malformed JSON and 413 for an oversized body', async () => {
    expect((await post('{"amount":')).status).toBe(400);
    expect((await post(JSON.stringify({ ...validBody(), reference: 'x'.repeat(20_000) }))).status).toBe(413);
  });
});
