// Proves refunds on the real database: a completed payment is refunded by a new transfer (kind REFUND,
// PENDING, the accounts reversed) with its TransferRequested, under the payment's row lock, so two
// concurrent refunds exceeding the payment give exactly one 202 and one 409 REFUND_EXCEEDS_PAYMENT; a
// failed refund gives its amount back; completed refunds show as refundedAmount and under /refunds; a
// refund of a refund, of a pending payment or of more than is left is refused and stores no key; a
// captured hold is refundable up to its capture; bad input is a 400.
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  startTestService,
  TEST_CLIENTS,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { AppModule } from '../../app.module';
import type { TransferDatabase } from '../../database';
import { ledgerAnswerTo, type LedgerAnswerSpec } from '../ledger-answers.fixture';
import { RecordLedgerResultHandler } from '../record-ledger-result/record-ledger-result.handler';

type Json = Record<string, unknown>;

describe('refunds', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: TransferDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, { DATABASE_URL: database.url });
    prisma = service.app.get<TransferDatabase>(PRISMA);
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  function post(path: string, body: unknown, key: string | null = randomUUID(), client: 'a' | 'b' = 'a') {
    const headers: Record<string, string> = { ...TEST_CLIENTS[client].auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== null) headers['idempotency-key'] = key;
    return fetch(`${service.baseUrl}${path}`, {
      method: 'POST',
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  }

  const refund = (id: string, body?: unknown, key?: string) => post(`/v1/transfers/${id}/refunds`, body, key);
  const get = async (path: string) =>
    (await (await fetch(`${service.baseUrl}${path}`, { headers: TEST_CLIENTS.a.auth })).json()) as Json;
  const rowOf = (id: string) => prisma.transfer.findUniqueOrThrow({ where: { id } });

  async function ledgerAnswers(id: string, spec: LedgerAnswerSpec): Promise<void> {
    const handler = service.app.get(RecordLedgerResultHandler);
    expect(await handler.executeBatch([ledgerAnswerTo(await rowOf(id), spec)])).toEqual(['processed']);
  }

  async function requestPayment(amount = '1000', extra: Json = {}): Promise<Json> {
    const response = await post('/v1/transfers', {
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      amount,
      currency: 'EUR',
      ...extra,
    });
    expect(response.status).toBe(202);
    return (await response.json()) as Json;
  }

  async function completedPayment(amount = '1000'): Promise<Json> {
    const payment = await requestPayment(amount);
    await ledgerAnswers(String(payment.id), { type: 'TransferPosted' });
    return payment;
  }

  async function accepted(response: Response): Promise<Json> {
    expect(response.status).toBe(202);
    return (await response.json()) as Json;
  }

  async function expectProblem(response: Response, status: number, code: string): Promise<Json> {
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Json;
    expect({ status: response.status, code: problem.code }).toEqual({ status, code });
    return problem;
  }

  const keyStored = async (key: string) => (await prisma.idempotencyKey.count({ where: { key } })) === 1;

  it('refunds a completed payment: a new REFUND transfer, PENDING, accounts reversed, with its TransferRequested', async () => {
    const payment = await completedPayment();
    const key = randomUUID();
    const response = await refund(String(payment.id), { amount: '400', reference: 'returned goods' }, key);
    const created = await accepted(response);
    expect(created).toMatchObject({
      kind: 'REFUND',
      status: 'PENDING',
      refundOf: payment.id,
      fromAccountId: payment.toAccountId,
      toAccountId: payment.fromAccountId,
      amount: '400',
      currency: 'EUR',
      reference: 'returned goods',
      holdExpiresAt: null,
      refundedAmount: '0',
    });
    expect(created.id).not.toBe(payment.id);
    expect(response.headers.get('location')).toBe(`/v1/transfers/${String(created.id)}`);
    const outbox = await prisma.outboxMessage.findMany({ where: { key: String(created.id) } });
    expect(outbox.map((row) => JSON.parse(row.value) as Json)).toMatchObject([
      { type: 'TransferRequested', sequence: 1, payload: { refundOf: payment.id, amountMinor: '400' } },
    ]);

    const replayed = await refund(String(payment.id), { amount: '400', reference: 'returned goods' }, key);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.json()).toEqual(created);
    expect(await prisma.transfer.count({ where: { refundOf: String(payment.id) } })).toBe(1);
  });

  it('accepts exactly one of 2 concurrent refunds that together exceed the payment', async () => {
    const payment = await completedPayment('1000');
    const responses = await Promise.all([
      refund(String(payment.id), { amount: '600' }),
      refund(String(payment.id), { amount: '600' }),
    ]);
    expect(responses.map((r) => r.status).sort()).toEqual([202, 409]);
    const refused = responses.find((r) => r.status === 409)!;
    const problem = await expectProblem(refused, 409, 'REFUND_EXCEEDS_PAYMENT');
    expect(problem.refundableAmount).toBe('400');
    expect(await prisma.transfer.count({ where: { refundOf: String(payment.id) } })).toBe(1);
  });

  it('gives a failed refund’s amount back, and counts completed ones in refundedAmount and /refunds', async () => {
    const payment = await completedPayment('1000');
    const id = String(payment.id);
    const failed = await accepted(await refund(id, { amount: '1000' }));
    await expectProblem(await refund(id, { amount: '1' }), 409, 'REFUND_EXCEEDS_PAYMENT');
    await ledgerAnswers(String(failed.id), { type: 'TransferRejected', reason: 'INSUFFICIENT_FUNDS' });

    const first = await accepted(await refund(id, { amount: '700' }));
    await ledgerAnswers(String(first.id), { type: 'TransferPosted' });
    // Without an amount: what is left.
    const rest = await accepted(await refund(id));
    expect(rest.amount).toBe('300');
    await ledgerAnswers(String(rest.id), { type: 'TransferPosted' });
    expect(await get(`/v1/transfers/${id}`)).toMatchObject({ refundedAmount: '1000', status: 'COMPLETED' });

    const nothingLeft = await expectProblem(await refund(id), 409, 'REFUND_EXCEEDS_PAYMENT');
    expect(nothingLeft.refundableAmount).toBe('0');
    const refunds = (await get(`/v1/transfers/${id}/refunds`)) as { data: Json[]; nextCursor: null };
    // Newest first; two created within one millisecond would be ordered by id, so compare as a set.
    expect(refunds.data.map((r) => [r.id, r.status])).toHaveLength(3);
    expect(refunds.data.map((r) => [r.id, r.status])).toEqual(
      expect.arrayContaining([
        [rest.id, 'COMPLETED'],
        [first.id, 'COMPLETED'],
        [failed.id, 'FAILED'],
      ]),
    );
    const page = (await get(`/v1/transfers/${id}/refunds?limit=2`)) as { data: Json[]; nextCursor: string };
    const next = (await get(`/v1/transfers/${id}/refunds?limit=2&cursor=${page.nextCursor}`)) as {
      data: Json[];
    };
    expect([...page.data, ...next.data].map((r) => r.id)).toEqual(refunds.data.map((r) => r.id));
  });

  it('refuses a refund of a pending payment or of a refund (409 NOT_REFUNDABLE), storing no key', async () => {
    const pending = await requestPayment();
    const key = randomUUID();
    await expectProblem(await refund(String(pending.id), { amount: '10' }, key), 409, 'NOT_REFUNDABLE');
    expect(await keyStored(key)).toBe(false);
    // Once it completed, the same key is decided again, and accepted.
    await ledgerAnswers(String(pending.id), { type: 'TransferPosted' });
    const created = await accepted(await refund(String(pending.id), { amount: '10' }, key));
    await ledgerAnswers(String(created.id), { type: 'TransferPosted' });
    await expectProblem(await refund(String(created.id)), 409, 'NOT_REFUNDABLE');

    const failed = await requestPayment();
    await ledgerAnswers(String(failed.id), { type: 'TransferRejected', reason: 'INSUFFICIENT_FUNDS' });
    await expectProblem(await refund(String(failed.id)), 409, 'NOT_REFUNDABLE');
  });

  it('refunds a captured hold up to its capture, not its hold', async () => {
    const hold = await requestPayment('1000', { hold: { expiresInSeconds: 3600 } });
    const id = String(hold.id);
    await ledgerAnswers(id, { type: 'HoldPlaced' });
    await expectProblem(await refund(id), 409, 'NOT_REFUNDABLE');
    await accepted(await post(`/v1/transfers/${id}/capture`, { amount: '250' }));
    await ledgerAnswers(id, { type: 'HoldCaptured' });
    const problem = await expectProblem(await refund(id, { amount: '251' }), 409, 'REFUND_EXCEEDS_PAYMENT');
    expect(problem.refundableAmount).toBe('250');
    expect(await accepted(await refund(id))).toMatchObject({ amount: '250', refundOf: id });
  });

  it('404s a refund of an unknown or another client’s payment, and its refunds', async () => {
    const payment = await completedPayment();
    await expectProblem(await refund(randomUUID()), 404, 'TRANSFER_NOT_FOUND');
    await expectProblem(
      await post(`/v1/transfers/${String(payment.id)}/refunds`, {}, randomUUID(), 'b'),
      404,
      'TRANSFER_NOT_FOUND',
    );
    const foreign = await fetch(`${service.baseUrl}/v1/transfers/${String(payment.id)}/refunds`, {
      headers: TEST_CLIENTS.b.auth,
    });
    await expectProblem(foreign, 404, 'TRANSFER_NOT_FOUND');
  });

  it.each<[string, unknown]>([
    ['a zero amount', { amount: '0' }],
    ['a negative amount', { amount: '-5' }],
    ['a numeric amount', { amount: 5 }],
    ['an unknown field', { amount: '5', toAccountId: randomUUID() }],
    ['a control character in the reference', { reference: 'a\nb' }],
    ['malformed JSON', '{"amount"'],
    // Only no body at all means "refund what is left"; a null is a body, and not an object.
    ['a JSON null', 'null'],
  ])('answers 400 problem+json for %s, storing nothing', async (_, body) => {
    const payment = await completedPayment();
    const key = randomUUID();
    const response = await refund(String(payment.id), body, key);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await keyStored(key)).toBe(false);
    expect(await prisma.transfer.count({ where: { refundOf: String(payment.id) } })).toBe(0);
  });
});
