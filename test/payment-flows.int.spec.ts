// Proves the two-phase and refund flows end to end, through the public APIs of the three real services
// over the real broker and databases, as issue #17 asks: a hold reduces the available balance but not
// the posted one; a capture in part posts exactly that; a double capture, a capture after a void and a
// capture after expiry each move nothing and answer clearly; two concurrent partial refunds that
// together exceed the payment leave exactly one succeeding; and the auditor is clean afterwards.
import {
  createLedgerClient,
  createTransferClient,
  type Account,
  type LedgerClient,
  type RequestTransfer,
  type Transfer,
  type TransferClient,
} from '@oncepay/client';
import { randomUUID } from 'node:crypto';
import { auditOncePay } from '../apps/auditor/src/auditor';
import {
  bootServices,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  waitFor,
  type BootedServices,
} from '@oncepay/test-support';

const EUR = 'EUR';
/** The statuses a transfer rests in until someone acts (a hold waits for its client or its expiry). */
const RESTING: Transfer['status'][] = ['COMPLETED', 'FAILED', 'HELD', 'CAPTURED', 'VOIDED', 'EXPIRED'];

/** One test client's typed clients of the transfer-service and the ledger-service. */
interface As {
  transfers: TransferClient;
  ledger: LedgerClient;
}

describe('holds, captures, voids, expiry and refunds across the three services', () => {
  let stack: BootedServices<'transfer' | 'ledger' | 'notification'>;
  let asA: As;
  let asB: As;
  let asOperator: As;

  beforeAll(async () => {
    stack = await bootServices(['ledger', 'transfer', 'notification']);
    const as = ({ apiKey }: { apiKey: string }): As => ({
      transfers: createTransferClient(stack.baseUrl('transfer'), { apiKey }),
      ledger: createLedgerClient(stack.baseUrl('ledger'), { apiKey }),
    });
    [asA, asB, asOperator] = [as(TEST_CLIENTS.a), as(TEST_CLIENTS.b), as(TEST_CLIENTS.operator)];
  }, 120_000);

  afterAll(() => stack?.stop());

  async function openAccount(client: As, allowNegativeBalance = false): Promise<string> {
    const { data, response } = await client.ledger.POST('/v1/accounts', {
      body: { currency: EUR, allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return data!.id;
  }

  async function account(id: string, client = asA): Promise<Account> {
    const { data, response } = await client.ledger.GET('/v1/accounts/{id}', { params: { path: { id } } });
    expect(response.status).toBe(200);
    return data!;
  }

  const keyed = (id: string, key: string) => ({ path: { id }, header: { 'Idempotency-Key': key } });

  function capture(id: string, body: { amount?: string } = {}, client = asA, key: string = randomUUID()) {
    return client.transfers.POST('/v1/transfers/{id}/capture', { params: keyed(id, key), body });
  }

  function voidHold(id: string, client = asA) {
    return client.transfers.POST('/v1/transfers/{id}/void', { params: keyed(id, randomUUID()), body: {} });
  }

  function refund(id: string, body: { amount?: string } = {}, client = asA) {
    return client.transfers.POST('/v1/transfers/{id}/refunds', { params: keyed(id, randomUUID()), body });
  }

  async function transfer(id: string, client = asA): Promise<Transfer> {
    return (await client.transfers.GET('/v1/transfers/{id}', { params: { path: { id } } })).data!;
  }

  async function rested(id: string, client = asA): Promise<Transfer> {
    return waitFor(
      () => transfer(id, client),
      (transfer) => RESTING.includes(transfer.status),
      { timeoutMs: 60_000, what: `transfer ${id} to come to rest` },
    );
  }

  function requestTransfer(body: RequestTransfer, client = asA) {
    return client.transfers.POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body,
    });
  }

  async function pay(from: string, to: string, amount: string, client = asA): Promise<Transfer> {
    const { data, response } = await requestTransfer(
      { fromAccountId: from, toAccountId: to, amount, currency: EUR },
      client,
    );
    expect(response.status).toBe(202);
    return rested(data!.id, client);
  }

  async function hold(from: string, to: string, amount: string, expiresInSeconds = 3600): Promise<Transfer> {
    const { data, response } = await requestTransfer({
      fromAccountId: from,
      toAccountId: to,
      amount,
      currency: EUR,
      hold: { expiresInSeconds },
    });
    expect(response.status).toBe(202);
    expect(data).toMatchObject({ kind: 'HOLD', status: 'PENDING' });
    return rested(data!.id);
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

    const captured = await capture(held.id, { amount: '2500' });
    expect(captured.response.status).toBe(202);
    expect(captured.data).toMatchObject({ status: 'CAPTURING', capturedAmount: '2500' });
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
    expect((await capture(captured.id, {}, asA, key)).response.status).toBe(202);
    const replay = await capture(captured.id, {}, asA, key);
    expect(replay.response.status).toBe(202);
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    const again = await capture(captured.id);
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get('content-type')).toContain('application/problem+json');
    expect(again.error).toMatchObject({ code: 'HOLD_CAPTURED' });

    const voided = await hold(payer, payee, '2000');
    expect((await voidHold(voided.id)).response.status).toBe(202);
    expect((await capture(voided.id)).error).toMatchObject({ code: 'HOLD_VOIDED' });
    expect(await rested(voided.id)).toMatchObject({ status: 'VOIDED' });

    const expiring = await hold(payer, payee, '3000', 2);
    expect(expiring.status).toBe('HELD');
    const expired = await waitFor(
      () => transfer(expiring.id),
      (transfer) => transfer.status === 'EXPIRED',
      { timeoutMs: 60_000, what: 'the hold to expire' },
    );
    expect(expired.capturedAmount).toBeNull();
    const late = await capture(expiring.id);
    expect(late.response.status).toBe(409);
    expect(late.error).toMatchObject({ code: 'HOLD_EXPIRED' });

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
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? capture(held.id) : voidHold(held.id))),
    );
    const won = answers.filter((answer) => answer.response.status === 202);
    expect(won).toHaveLength(1);
    const winner = won[0]!.data?.status === 'CAPTURING' ? 'HOLD_CAPTURED' : 'HOLD_VOIDED';
    for (const lost of answers.filter((answer) => answer.response.status !== 202)) {
      expect(lost.response.status).toBe(409);
      expect(lost.error).toMatchObject({ code: winner });
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
      refund(payment.id, { amount: '600' }),
      refund(payment.id, { amount: '700' }),
    ]);
    const statuses = [first.response.status, second.response.status].sort();
    expect(statuses).toEqual([202, 409]);
    const refused = [first, second].find((answer) => answer.response.status === 409)!;
    expect(refused.error).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT' });
    const accepted = [first, second].find((answer) => answer.response.status === 202)!.data!;
    expect(accepted).toMatchObject({ kind: 'REFUND', refundOf: payment.id, status: 'PENDING' });
    expect(await rested(accepted.id)).toMatchObject({ status: 'COMPLETED' });

    // What is left can be refunded, and not a minor unit more.
    const left = 1000n - BigInt(accepted.amount);
    const rest = await refund(payment.id);
    expect(rest.response.status).toBe(202);
    expect(rest.data).toMatchObject({ amount: left.toString() });
    await rested(rest.data!.id);
    expect((await refund(payment.id, { amount: '1' })).error).toMatchObject({
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
    expect((await capture(held.id, { amount: '1500' })).response.status).toBe(202);
    await rested(held.id);
    expect((await refund(held.id, { amount: '1501' })).error).toMatchObject({
      code: 'REFUND_EXCEEDS_PAYMENT',
    });
    const refunded = await refund(held.id, { amount: '1500' });
    expect(refunded.response.status).toBe(202);
    expect(await rested(refunded.data!.id)).toMatchObject({ status: 'COMPLETED' });
    expect(await account(payer)).toMatchObject({ balance: '2000', availableBalance: '2000' });
  });

  it('keeps other clients out: B cannot capture, void or refund A’s transfers', async () => {
    const payer = await funded('1000');
    const held = await hold(payer, await openAccount(asA), '500');
    const steps = [capture(held.id, {}, asB), voidHold(held.id, asB), refund(held.id, {}, asB)];
    for (const { response, error } of await Promise.all(steps)) {
      expect(response.status).toBe(404);
      expect(error).toMatchObject({ code: 'TRANSFER_NOT_FOUND' });
    }
  });

  it('ends with the reconciliation auditor clean across all three databases', async () => {
    const report = await auditOncePay({
      transferDatabaseUrl: stack.database('transfer').auditorUrl,
      ledgerDatabaseUrl: stack.database('ledger').auditorUrl,
      notificationDatabaseUrl: stack.database('notification').auditorUrl,
      kafkaBrokers: testEnv.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
    });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });
});
