// Proves the two-phase and refund flows end to end, through the public APIs of the three real services
// over the real broker and databases, as issue #17 asks: a hold reduces the available balance but not
// the posted one; a capture in part posts exactly that; a double capture, a capture after a void and a
// capture after expiry each move nothing and answer clearly; two concurrent partial refunds that
// together exceed the payment leave exactly one succeeding; and the auditor is clean afterwards.
import { randomUUID } from 'node:crypto';
import { auditOncePay } from '../apps/auditor/src/auditor';
import {
  createTestDatabase,
  requestJson,
  startServiceProcess,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  waitFor,
  type JsonResponse,
  type ServiceProcess,
  type TestDatabase,
} from '@oncepay/test-support';

interface Transfer {
  id: string;
  status: string;
  kind: 'PAYMENT' | 'HOLD' | 'REFUND';
  amount: string;
  capturedAmount: string | null;
  refundOf: string | null;
  refundedAmount: string;
  failureReason: string | null;
}

interface Account {
  balance: string;
  availableBalance: string;
  heldAmount: string;
}

const EUR = 'EUR';
/** The statuses a transfer rests in until someone acts (a hold waits for its client or its expiry). */
const RESTING = ['COMPLETED', 'FAILED', 'HELD', 'CAPTURED', 'VOIDED', 'EXPIRED'];

describe('holds, captures, voids, expiry and refunds across the three services', () => {
  const databases = new Map<'transfer' | 'ledger' | 'notification', TestDatabase>();
  const services: ServiceProcess[] = [];
  let transfers: string;
  let ledger: string;

  async function boot(name: 'transfer' | 'ledger' | 'notification'): Promise<string> {
    const database = await createTestDatabase(name);
    databases.set(name, database);
    const service = await startServiceProcess(name, database.url);
    services.push(service);
    return service.baseUrl;
  }

  beforeAll(async () => {
    const booted = await Promise.allSettled([boot('ledger'), boot('transfer'), boot('notification')]);
    const failed = booted.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    [ledger, transfers] = booted.map((result) => (result as PromiseFulfilledResult<string>).value) as [
      string,
      string,
    ];
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await Promise.all([...databases.values()].map((database) => database.drop()));
  });

  type As = { headers: Record<string, string> };
  const asA: As = { headers: TEST_CLIENTS.a.auth };
  const asB: As = { headers: TEST_CLIENTS.b.auth };
  const asOperator: As = { headers: TEST_CLIENTS.operator.auth };

  async function openAccount(client: As, allowNegativeBalance = false): Promise<string> {
    const response = await requestJson(ledger, 'POST', '/v1/accounts', {
      ...client,
      body: { currency: EUR, allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return (response.body as { id: string }).id;
  }

  async function account(id: string, client = asA): Promise<Account> {
    const response = await requestJson(ledger, 'GET', `/v1/accounts/${id}`, client);
    expect(response.status).toBe(200);
    return response.body as Account;
  }

  function post(
    path: string,
    body: unknown,
    client = asA,
    key: string = randomUUID(),
  ): Promise<JsonResponse> {
    return requestJson(transfers, 'POST', path, {
      headers: { ...client.headers, 'idempotency-key': key },
      body,
    });
  }

  async function rested(id: string, client = asA): Promise<Transfer> {
    return waitFor(
      async () => (await requestJson(transfers, 'GET', `/v1/transfers/${id}`, client)).body as Transfer,
      (transfer) => RESTING.includes(transfer.status),
      { timeoutMs: 60_000, what: `transfer ${id} to come to rest` },
    );
  }

  async function pay(from: string, to: string, amount: string, client = asA): Promise<Transfer> {
    const response = await post(
      '/v1/transfers',
      { fromAccountId: from, toAccountId: to, amount, currency: EUR },
      client,
    );
    expect(response.status).toBe(202);
    return rested((response.body as Transfer).id, client);
  }

  async function hold(from: string, to: string, amount: string, expiresInSeconds = 3600): Promise<Transfer> {
    const response = await post('/v1/transfers', {
      fromAccountId: from,
      toAccountId: to,
      amount,
      currency: EUR,
      hold: { expiresInSeconds },
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ kind: 'HOLD', status: 'PENDING' });
    return rested((response.body as Transfer).id);
  }

  let treasury: string;
  beforeAll(async () => {
    treasury = await openAccount(asOperator, true);
  });

  async function funded(amount: string): Promise<string> {
    const id = await openAccount(asA);
    expect((await pay(treasury, id, amount, asOperator)).status).toBe('COMPLETED');
    return id;
  }

  it('a hold reduces the available balance, not the posted one; a partial capture posts exactly that', async () => {
    const payer = await funded('10000');
    const payee = await openAccount(asB);

    const held = await hold(payer, payee, '4000');
    expect(held.status).toBe('HELD');
    expect(await account(payer)).toMatchObject({
      balance: '10000',
      availableBalance: '6000',
      heldAmount: '4000',
    });

    // The held money cannot be spent twice: a payment that fits the posted balance but not the available one fails.
    const overdraft = await pay(payer, payee, '7000');
    expect(overdraft).toMatchObject({ status: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' });

    const capture = await post(`/v1/transfers/${held.id}/capture`, { amount: '2500' });
    expect(capture.status).toBe(202);
    expect(capture.body).toMatchObject({ status: 'CAPTURING', capturedAmount: '2500' });
    expect(await rested(held.id)).toMatchObject({ status: 'CAPTURED', capturedAmount: '2500' });
    expect(await account(payer)).toMatchObject({
      balance: '7500',
      availableBalance: '7500',
      heldAmount: '0',
    });
    expect(await account(payee, asB)).toMatchObject({ balance: '2500' });
  });

  it('a double capture, a capture after a void and a capture after expiry move nothing and say why', async () => {
    const payer = await funded('9000');
    const payee = await openAccount(asA);

    const captured = await hold(payer, payee, '1000');
    const key = randomUUID();
    expect((await post(`/v1/transfers/${captured.id}/capture`, {}, asA, key)).status).toBe(202);
    const replay = await post(`/v1/transfers/${captured.id}/capture`, {}, asA, key);
    expect(replay.status).toBe(202);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const again = await post(`/v1/transfers/${captured.id}/capture`, {});
    expect(again.status).toBe(409);
    expect(again.contentType).toContain('application/problem+json');
    expect(again.body).toMatchObject({ code: 'HOLD_CAPTURED' });

    const voided = await hold(payer, payee, '2000');
    expect((await post(`/v1/transfers/${voided.id}/void`, {})).status).toBe(202);
    expect((await post(`/v1/transfers/${voided.id}/capture`, {})).body).toMatchObject({
      code: 'HOLD_VOIDED',
    });
    expect(await rested(voided.id)).toMatchObject({ status: 'VOIDED' });

    const expiring = await hold(payer, payee, '3000', 2);
    expect(expiring.status).toBe('HELD');
    const expired = await waitFor(
      async () => (await requestJson(transfers, 'GET', `/v1/transfers/${expiring.id}`, asA)).body as Transfer,
      (transfer) => transfer.status === 'EXPIRED',
      { timeoutMs: 60_000, what: 'the hold to expire' },
    );
    expect(expired.capturedAmount).toBeNull();
    const late = await post(`/v1/transfers/${expiring.id}/capture`, {});
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'HOLD_EXPIRED' });

    await rested(captured.id);
    // Only the one capture moved money: 9000 - 1000; the voided and expired holds released everything.
    expect(await account(payer)).toMatchObject({
      balance: '8000',
      availableBalance: '8000',
      heldAmount: '0',
    });
    expect(await account(payee)).toMatchObject({ balance: '1000' });
  });

  it('a capture and a void racing: exactly one wins, the other is told which one did', async () => {
    const payer = await funded('5000');
    const payee = await openAccount(asA);
    const held = await hold(payer, payee, '5000');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(`/v1/transfers/${held.id}/${i % 2 === 0 ? 'capture' : 'void'}`, {}),
      ),
    );
    const won = answers.filter((answer) => answer.status === 202);
    expect(won).toHaveLength(1);
    const winner = (won[0]!.body as Transfer).status === 'CAPTURING' ? 'HOLD_CAPTURED' : 'HOLD_VOIDED';
    for (const lost of answers.filter((answer) => answer.status !== 202)) {
      expect(lost.status).toBe(409);
      expect(lost.body).toMatchObject({ code: winner });
    }
    const final = await rested(held.id);
    expect(await account(payer)).toMatchObject({
      balance: final.status === 'CAPTURED' ? '0' : '5000',
      heldAmount: '0',
    });
  });

  it('two concurrent partial refunds that together exceed the payment: exactly one succeeds', async () => {
    const payer = await funded('3000');
    const merchant = await openAccount(asA);
    const payment = await pay(payer, merchant, '1000');
    expect(payment.status).toBe('COMPLETED');

    const [first, second] = await Promise.all([
      post(`/v1/transfers/${payment.id}/refunds`, { amount: '600' }),
      post(`/v1/transfers/${payment.id}/refunds`, { amount: '700' }),
    ]);
    const statuses = [first!.status, second!.status].sort();
    expect(statuses).toEqual([202, 409]);
    const refused = [first!, second!].find((answer) => answer.status === 409)!;
    expect(refused.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT' });
    const accepted = [first!, second!].find((answer) => answer.status === 202)!.body as Transfer;
    expect(accepted).toMatchObject({ kind: 'REFUND', refundOf: payment.id, status: 'PENDING' });
    expect(await rested(accepted.id)).toMatchObject({ status: 'COMPLETED' });

    // What is left can be refunded, and not a minor unit more.
    const left = 1000n - BigInt(accepted.amount);
    const rest = await post(`/v1/transfers/${payment.id}/refunds`, {});
    expect(rest.status).toBe(202);
    expect(rest.body).toMatchObject({ amount: left.toString() });
    await rested((rest.body as Transfer).id);
    expect((await post(`/v1/transfers/${payment.id}/refunds`, { amount: '1' })).body).toMatchObject({
      code: 'REFUND_EXCEEDS_PAYMENT',
    });
    expect(await rested(payment.id)).toMatchObject({ refundedAmount: '1000' });
    expect(await account(payer)).toMatchObject({ balance: '3000' });
    expect(await account(merchant)).toMatchObject({ balance: '0' });
  });

  it('refunds a captured hold up to what was captured, not what was held', async () => {
    const payer = await funded('2000');
    const merchant = await openAccount(asA);
    const held = await hold(payer, merchant, '2000');
    expect((await post(`/v1/transfers/${held.id}/capture`, { amount: '1500' })).status).toBe(202);
    await rested(held.id);
    expect((await post(`/v1/transfers/${held.id}/refunds`, { amount: '1501' })).body).toMatchObject({
      code: 'REFUND_EXCEEDS_PAYMENT',
    });
    const refund = await post(`/v1/transfers/${held.id}/refunds`, { amount: '1500' });
    expect(refund.status).toBe(202);
    expect(await rested((refund.body as Transfer).id)).toMatchObject({ status: 'COMPLETED' });
    expect(await account(payer)).toMatchObject({ balance: '2000', availableBalance: '2000' });
  });

  it('keeps other clients out: B cannot capture, void or refund A’s transfers', async () => {
    const payer = await funded('1000');
    const held = await hold(payer, await openAccount(asA), '500');
    for (const path of ['capture', 'void', 'refunds']) {
      const response = await post(`/v1/transfers/${held.id}/${path}`, {}, asB);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'TRANSFER_NOT_FOUND' });
    }
  });

  it('ends with the reconciliation auditor clean across all three databases', async () => {
    const report = await auditOncePay({
      transferDatabaseUrl: databases.get('transfer')!.auditorUrl,
      ledgerDatabaseUrl: databases.get('ledger')!.auditorUrl,
      notificationDatabaseUrl: databases.get('notification')!.auditorUrl,
      kafkaBrokers: testEnv.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
    });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });
});
