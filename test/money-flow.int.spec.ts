// Proves the whole money flow end to end: the three real services, each on its own database, talking
// over the real broker. Money enters from a treasury, moves between accounts to COMPLETED with correct
// balances, an overdraft ends FAILED with INSUFFICIENT_FUNDS and no journal entry, a replayed request
// moves money once, concurrent transfers never overdraw, the sum of all balances stays zero, and every
// terminal transfer gets exactly one notification.
import {
  createLedgerClient,
  createNotificationClient,
  createTransferClient,
  type LedgerClient,
  type NotificationClient,
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

/** One test client's typed clients of the three services. */
interface As {
  transfers: TransferClient;
  ledger: LedgerClient;
  notifications: NotificationClient;
}

describe('the money flow across transfer, ledger and notification services', () => {
  const NAMES = ['ledger', 'transfer', 'notification'] as const;
  let stack: BootedServices<(typeof NAMES)[number]>;
  let asA: As;
  let asB: As;
  /** Owns the treasury: only an operator may open an account allowed to go negative. */
  let asOperator: As;

  beforeAll(async () => {
    stack = await bootServices(NAMES);
    const as = ({ apiKey }: { apiKey: string }): As => ({
      transfers: createTransferClient(stack.baseUrl('transfer'), { apiKey }),
      ledger: createLedgerClient(stack.baseUrl('ledger'), { apiKey }),
      notifications: createNotificationClient(stack.baseUrl('notification'), { apiKey }),
    });
    [asA, asB, asOperator] = [as(TEST_CLIENTS.a), as(TEST_CLIENTS.b), as(TEST_CLIENTS.operator)];
  }, 120_000);

  afterAll(() => stack?.stop());

  const opened: { id: string; client: As }[] = [];

  async function openAccount(client: As, allowNegativeBalance = false): Promise<string> {
    const { data, response } = await client.ledger.POST('/v1/accounts', {
      body: { currency: EUR, allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    const id = data!.id;
    opened.push({ id, client });
    return id;
  }

  async function balanceOf(accountId: string, client = asA): Promise<bigint> {
    const { data } = await client.ledger.GET('/v1/accounts/{id}', { params: { path: { id: accountId } } });
    return BigInt(data!.balance);
  }

  function requestTransfer(from: string, to: string, amount: string, key = randomUUID(), client = asA) {
    return client.transfers.POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': key } },
      body: { fromAccountId: from, toAccountId: to, amount, currency: EUR },
    });
  }

  /** The id of the transfer a request was accepted as. */
  function acceptedId({ data }: { data?: Transfer }): string {
    expect(data).toBeDefined();
    return data!.id;
  }

  async function settled(id: string, client = asA): Promise<Transfer> {
    return waitFor(
      async () => (await client.transfers.GET('/v1/transfers/{id}', { params: { path: { id } } })).data!,
      (transfer) => transfer.status !== 'PENDING',
      { timeoutMs: 60_000, what: `transfer ${id} to settle` },
    );
  }

  async function notificationsFor(transferId: string, client = asA): Promise<unknown[]> {
    const { data } = await client.notifications.GET('/v1/notifications', {
      params: { query: { transferId } },
    });
    return data!.data;
  }

  async function fund(accountId: string, amount: string): Promise<void> {
    const response = await requestTransfer(treasury, accountId, amount, randomUUID(), asOperator);
    expect(response.response.status).toBe(202);
    expect((await settled(acceptedId(response), asOperator)).status).toBe('COMPLETED');
  }

  let treasury: string;
  beforeAll(async () => {
    treasury = await openAccount(asOperator, true);
  });

  it('funds an account from the treasury and moves money between clients to COMPLETED', async () => {
    const alice = await openAccount(asA);
    const bob = await openAccount(asB);
    await fund(alice, '10000');

    const response = await requestTransfer(alice, bob, '2500');
    expect(response.response.status).toBe(202);
    const transfer = await settled(acceptedId(response));
    expect(transfer).toMatchObject({ status: 'COMPLETED', failureReason: null });
    expect(await balanceOf(alice)).toBe(7_500n);
    expect(await balanceOf(bob, asB)).toBe(2_500n);
    await waitFor(
      () => notificationsFor(transfer.id),
      (list) => list.length === 1,
      { what: 'one notification' },
    );
  });

  it('ends an overdraft FAILED with INSUFFICIENT_FUNDS and writes no journal entry', async () => {
    const carol = await openAccount(asA);
    const dave = await openAccount(asA);
    await fund(carol, '100');
    const response = await requestTransfer(carol, dave, '101');
    const transfer = await settled(acceptedId(response));
    expect(transfer).toMatchObject({ status: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' });
    expect(await balanceOf(carol)).toBe(100n);
    const entries = await asA.ledger.GET('/v1/accounts/{id}/entries', { params: { path: { id: dave } } });
    expect(entries.data?.data).toEqual([]);
    await waitFor(
      () => notificationsFor(transfer.id),
      (list) => list.length === 1,
      { what: 'one notification' },
    );
  });

  it('returns the same transfer for a replayed request and moves the money once', async () => {
    const erin = await openAccount(asA);
    const frank = await openAccount(asA);
    await fund(erin, '1000');
    const key = randomUUID();
    const first = await requestTransfer(erin, frank, '300', key);
    const replay = await requestTransfer(erin, frank, '300', key);
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    expect(acceptedId(replay)).toBe(acceptedId(first));
    await settled(acceptedId(first));
    const again = await requestTransfer(erin, frank, '300', key);
    expect(acceptedId(again)).toBe(acceptedId(first));
    expect(await balanceOf(erin)).toBe(700n);
    expect(await balanceOf(frank)).toBe(300n);
  });

  it('completes exactly as many of 30 concurrent transfers as the balance covers, never going negative', async () => {
    const source = await openAccount(asA);
    const sink = await openAccount(asA);
    await fund(source, '1000');
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => requestTransfer(source, sink, '70')),
    );
    expect(responses.every((r) => r.response.status === 202)).toBe(true);
    const outcomes = await Promise.all(responses.map((r) => settled(acceptedId(r))));
    const completed = outcomes.filter((t) => t.status === 'COMPLETED').length;
    expect(completed).toBe(14);
    expect(
      outcomes.filter((t) => t.status === 'FAILED').every((t) => t.failureReason === 'INSUFFICIENT_FUNDS'),
    ).toBe(true);
    expect(await balanceOf(source)).toBe(1_000n - 14n * 70n);
    expect(await balanceOf(sink)).toBe(14n * 70n);
    for (const transfer of outcomes) {
      await waitFor(
        () => notificationsFor(transfer.id),
        (list) => list.length === 1,
        { what: `the notification of ${transfer.id}` },
      );
    }
  }, 120_000);

  it('accepts account ids in any letter case and still completes', async () => {
    const from = await openAccount(asA);
    const to = await openAccount(asA);
    await fund(from, '10');
    const response = await requestTransfer(from.toUpperCase(), to.toUpperCase(), '10');
    expect(await settled(acceptedId(response))).toMatchObject({
      status: 'COMPLETED',
      fromAccountId: from,
    });
    expect(await balanceOf(to)).toBe(10n);
  });

  it('refuses to debit another client’s account, answering as for an account that does not exist', async () => {
    const victim = await openAccount(asB);
    await fund(victim, '100');
    const thief = await openAccount(asA);
    const fromVictim = await requestTransfer(victim, thief, '1');
    const fromNowhere = await requestTransfer(randomUUID(), thief, '1');
    const outcomes = await Promise.all(
      [fromVictim, fromNowhere].map(async (response) => {
        const { status, failureReason } = await settled(acceptedId(response));
        return { status, failureReason };
      }),
    );
    expect(outcomes).toEqual([
      { status: 'FAILED', failureReason: 'ACCOUNT_NOT_FOUND' },
      { status: 'FAILED', failureReason: 'ACCOUNT_NOT_FOUND' },
    ]);
    expect(await balanceOf(victim, asB)).toBe(100n);
  });

  it('carries the caller’s correlation id from the HTTP request through every service’s logs', async () => {
    const correlationId = `trace-${randomUUID()}`;
    const from = await openAccount(asA);
    const to = await openAccount(asA);
    await fund(from, '50');
    const response = await asA.transfers.POST('/v1/transfers', {
      // Every operation takes X-Correlation-Id (the document says so once, in its description).
      headers: { 'X-Correlation-Id': correlationId },
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { fromAccountId: from, toAccountId: to, amount: '20', currency: EUR },
    });
    expect(response.response.headers.get('x-correlation-id')).toBe(correlationId);
    await settled(acceptedId(response));
    for (const service of NAMES.map((name) => stack.service(name))) {
      await waitFor(
        () => Promise.resolve(service.logs.filter((line) => line.includes(correlationId))),
        (lines) => lines.length > 0,
        { what: `${service.name}-service to log ${correlationId}` },
      );
    }
  });

  it('keeps the sum of all balances at zero: money only moved, never appeared or vanished', async () => {
    const balances = await Promise.all(opened.map(({ id, client }) => balanceOf(id, client)));
    expect(balances.reduce((sum, balance) => sum + balance, 0n)).toBe(0n);
    expect(await balanceOf(treasury, asOperator)).toBeLessThan(0n);
  });

  it('ends with the reconciliation auditor clean across all three databases and the dead-letter topics', async () => {
    const report = await auditOncePay({
      transferDatabaseUrl: stack.database('transfer').auditorUrl,
      ledgerDatabaseUrl: stack.database('ledger').auditorUrl,
      notificationDatabaseUrl: stack.database('notification').auditorUrl,
      kafkaBrokers: testEnv.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
    });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
