// Proves the /v1/accounts API on the real app: an account opens once per Idempotency-Key (201, then 200
// for the same request, 422 for other fields with that key), opening tells a client nothing about other
// clients' accounts, only an operator opens one allowed to go negative (a client gets 403 and nothing
// is written), an account is visible only to its client, shows its posted and available balances and
// its held amount as strings, pages its journal newest first with an opaque cursor, and bad input is a 400.
import { Logger } from '@nestjs/common';
import { accountIdFor } from '@oncepay/contracts';
import { PG_DATABASE, PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  requestJson,
  startTestService,
  TEST_CLIENTS,
  transferRequested,
  type JsonResponse,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { LedgerDatabase } from '../database';
import { PostTransferHandler } from '../postings/post-transfer/post-transfer.handler';
import type { AccountResource, EntryResource } from './account.resource';
import { AppModule } from '../app.module';

type Client = keyof typeof TEST_CLIENTS;
const PROBLEM_JSON = /^application\/problem\+json/;

describe('/v1/accounts', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: LedgerDatabase;

  beforeAll(async () => {
    Logger.overrideLogger(['warn', 'error']);
    database = await createTestDatabase('ledger');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    // The app's own client: a second generated client from this file's module registry would load
    // Prisma's query engine twice into one process.
    prisma = service.app.get<LedgerDatabase>(PRISMA);
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  const post = (body: unknown, client: Client = 'a', idempotencyKey?: string) =>
    requestJson(service.baseUrl, 'POST', '/v1/accounts', {
      headers: {
        ...TEST_CLIENTS[client].auth,
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body,
    });
  const get = (path: string, client: Client = 'a') =>
    requestJson(service.baseUrl, 'GET', path, { headers: TEST_CLIENTS[client].auth });

  async function openAccount(
    body: Record<string, unknown> = { currency: 'EUR' },
    client: Client = 'a',
    idempotencyKey?: string,
  ) {
    const response = await post(body, client, idempotencyKey);
    expect(response.status).toBe(201);
    return response.body as AccountResource;
  }

  function expectProblem(response: JsonResponse, status: number, code: string): void {
    expect(response.status).toBe(status);
    expect(response.contentType).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({
      status,
      code,
      type: expect.any(String),
      title: expect.any(String),
    });
    expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.ts:\d+/);
  }

  describe('POST /v1/accounts', () => {
    it('opens an account for the calling client: 201, Location, a zero balance as a string', async () => {
      const response = await post({ currency: 'EUR' });

      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        currency: 'EUR',
        balance: '0',
        availableBalance: '0',
        heldAmount: '0',
        allowNegativeBalance: false,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const { id } = response.body as AccountResource;
      expect(response.headers.get('location')).toBe(`/v1/accounts/${id}`);
      await expect(prisma.account.findUnique({ where: { id } })).resolves.toMatchObject({
        ownerClientId: TEST_CLIENTS.a.id,
      });
    });

    it('answers 200 with the same account when the same client repeats the request with its key', async () => {
      const key = randomUUID();
      const body = { currency: 'USD', allowNegativeBalance: true };
      const opened = await post(body, 'operator', key);
      const repeated = await post(body, 'operator', key);

      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({ id: accountIdFor(TEST_CLIENTS.operator.id, key), currency: 'USD' });
      expect(repeated).toMatchObject({ status: 200, body: opened.body });
      expect(repeated.headers.get('idempotent-replayed')).toBe('true');
      await expect(
        prisma.account.count({ where: { id: (opened.body as AccountResource).id } }),
      ).resolves.toBe(1);
    });

    it('opens a second account for the same request without a key', async () => {
      const [first, second] = [await post({ currency: 'EUR' }), await post({ currency: 'EUR' })];
      expect([first.status, second.status]).toEqual([201, 201]);
      expect((first.body as AccountResource).id).not.toBe((second.body as AccountResource).id);
    });

    it.each<[string, Record<string, unknown>, Client]>([
      ['another currency', { currency: 'GBP' }, 'a'],
      ['another allowNegativeBalance', { currency: 'EUR', allowNegativeBalance: true }, 'operator'],
    ])(
      'answers 422 IDEMPOTENCY_KEY_REUSED for the same key with %s, and changes nothing',
      async (_, claim, client) => {
        const key = randomUUID();
        const { id } = await openAccount({ currency: 'EUR' }, client, key);

        expectProblem(await post(claim, client, key), 422, 'IDEMPOTENCY_KEY_REUSED');
        await expect(prisma.account.findUniqueOrThrow({ where: { id } })).resolves.toMatchObject({
          ownerClientId: TEST_CLIENTS[client].id,
          currency: 'EUR',
          allowNegativeBalance: false,
        });
      },
    );

    it("tells a client nothing about another client's accounts: its key names an account of its own", async () => {
      const key = randomUUID();
      const ofA = await openAccount({ currency: 'EUR' }, 'a', key);
      const ofB = await post({ currency: 'GBP' }, 'b', key);

      expect(ofB.status).toBe(201);
      expect((ofB.body as AccountResource).id).not.toBe(ofA.id);
      await expect(prisma.account.findUniqueOrThrow({ where: { id: ofA.id } })).resolves.toMatchObject({
        ownerClientId: TEST_CLIENTS.a.id,
        currency: 'EUR',
      });
    });

    it('refuses an id in the body: ids come from the key', async () => {
      const response = await post({ id: randomUUID(), currency: 'EUR' });
      expectProblem(response, 400, 'VALIDATION_ERROR');
    });

    it('answers 400 VALIDATION_ERROR naming the header for a malformed Idempotency-Key', async () => {
      const response = await post({ currency: 'EUR' }, 'a', 'has a space');
      expectProblem(response, 400, 'VALIDATION_ERROR');
      expect(response.body).toMatchObject({ detail: expect.stringMatching(/^Idempotency-Key: /) });
    });

    it('answers 403 OPERATOR_ROLE_REQUIRED to a client asking for an account allowed to go negative, and writes nothing', async () => {
      const key = randomUUID();
      for (const client of ['a', 'b'] as const) {
        const response = await post({ currency: 'EUR', allowNegativeBalance: true }, client, key);
        expectProblem(response, 403, 'OPERATOR_ROLE_REQUIRED');
        const id = accountIdFor(TEST_CLIENTS[client].id, key);
        await expect(prisma.account.count({ where: { id } })).resolves.toBe(0);
      }
      await expect(
        prisma.account.count({
          where: { allowNegativeBalance: true, ownerClientId: { not: TEST_CLIENTS.operator.id } },
        }),
      ).resolves.toBe(0);
      // An ordinary account is still the client's to open.
      expect((await post({ currency: 'EUR' }, 'a', key)).status).toBe(201);
    });

    it('opens one account when the same request races itself', async () => {
      const key = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => post({ currency: 'EUR' }, 'a', key)),
      );

      expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    });

    it.each<[string, unknown, string]>([
      ['a missing currency', {}, 'currency'],
      ['a lower-case currency', { currency: 'eur' }, 'currency'],
      ['a four-letter currency', { currency: 'EURO' }, 'currency'],
      [
        'allowNegativeBalance as a string',
        { currency: 'EUR', allowNegativeBalance: 'true' },
        'allowNegativeBalance',
      ],
      ['an unknown field', { currency: 'EUR', balance: '1000000' }, ''],
      ['a body that is not an object', ['EUR'], ''],
    ])('answers 400 VALIDATION_ERROR for %s', async (_, body, path) => {
      const response = await post(body);

      expectProblem(response, 400, 'VALIDATION_ERROR');
      expect(response.body).toMatchObject({
        errors: expect.arrayContaining([expect.objectContaining({ path })]),
      });
    });

    it('answers 400 MALFORMED_JSON for a body that is not JSON', async () => {
      expectProblem(await post('{"currency": "EUR"'), 400, 'MALFORMED_JSON');
    });
  });

  describe('GET /v1/accounts/{id}', () => {
    it('returns the account with its balance as a string', async () => {
      const treasury = await openAccount({ currency: 'EUR', allowNegativeBalance: true }, 'operator');
      const account = await openAccount();
      await postTransfer(treasury.id, account.id, 9_007_199_254_740_993n, 'operator');

      await expect(get(`/v1/accounts/${account.id}`)).resolves.toMatchObject({
        status: 200,
        body: { ...account, balance: '9007199254740993', availableBalance: '9007199254740993' },
      });
      await expect(get(`/v1/accounts/${treasury.id}`, 'operator')).resolves.toMatchObject({
        status: 200,
        body: { balance: '-9007199254740993', availableBalance: '-9007199254740993', heldAmount: '0' },
      });
    });

    it('shows a hold in the available balance and the held amount, not in the posted balance', async () => {
      const treasury = await openAccount({ currency: 'EUR', allowNegativeBalance: true }, 'operator');
      const account = await openAccount();
      await postTransfer(treasury.id, account.id, 10_000n, 'operator');
      const hold = transferRequested({
        clientId: TEST_CLIENTS.a.id,
        fromAccountId: account.id,
        toAccountId: treasury.id,
        amountMinor: 2_500n,
      });
      const placed = await new PostTransferHandler(service.app.get(PG_DATABASE)).execute({
        ...hold,
        payload: { ...hold.payload, holdExpiresAt: new Date(Date.UTC(2030, 0, 1)).toISOString() },
      });
      expect(placed.outcome).toBe('held');

      await expect(get(`/v1/accounts/${account.id}`)).resolves.toMatchObject({
        status: 200,
        body: { balance: '10000', availableBalance: '7500', heldAmount: '2500' },
      });
    });

    it('answers 404 ACCOUNT_NOT_FOUND for another client’s account, as for a missing one', async () => {
      const account = await openAccount();

      expectProblem(await get(`/v1/accounts/${account.id}`, 'b'), 404, 'ACCOUNT_NOT_FOUND');
      expectProblem(await get(`/v1/accounts/${randomUUID()}`), 404, 'ACCOUNT_NOT_FOUND');
    });

    it('answers 400 VALIDATION_ERROR for an id that is not a UUID', async () => {
      expectProblem(await get('/v1/accounts/not-a-uuid'), 400, 'VALIDATION_ERROR');
    });
  });

  describe('GET /v1/accounts/{id}/entries', () => {
    let account: AccountResource;
    /** The transfers that touched the account, oldest first. */
    const transferIds: string[] = [];

    beforeAll(async () => {
      const treasury = await openAccount({ currency: 'EUR', allowNegativeBalance: true }, 'operator');
      account = await openAccount();
      const other = await openAccount({ currency: 'EUR' }, 'b');
      transferIds.push(await postTransfer(treasury.id, account.id, 1_000n, 'operator'));
      for (let i = 1; i <= 4; i++) transferIds.push(await postTransfer(account.id, other.id, BigInt(i * 10)));
    });

    async function entries(query = '', client: Client = 'a') {
      return get(`/v1/accounts/${account.id}/entries${query}`, client);
    }

    it('lists the entries newest first, 50 per page by default, money as strings', async () => {
      const response = await entries();

      expect(response.status).toBe(200);
      const page = response.body as { data: EntryResource[]; nextCursor: string | null };
      expect(page.nextCursor).toBeNull();
      expect(page.data.map((e) => e.transferId)).toEqual([...transferIds].reverse());
      expect(page.data[0]).toEqual({
        id: expect.stringMatching(/^\d+$/),
        transferId: transferIds[4],
        direction: 'DEBIT',
        amount: '40',
        currency: 'EUR',
        postedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(page.data.at(-1)).toMatchObject({ direction: 'CREDIT', amount: '1000' });
    });

    it('pages with an opaque cursor until nextCursor is null', async () => {
      const pages: EntryResource[][] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 10; guard++) {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
        const response = await entries(query);
        expect(response.status).toBe(200);
        const page = response.body as { data: EntryResource[]; nextCursor: string | null };
        pages.push(page.data);
        cursor = page.nextCursor;
        if (cursor === null) break;
      }

      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((e) => e.transferId)).toEqual([...transferIds].reverse());
    });

    it('answers 404 ACCOUNT_NOT_FOUND to another client', async () => {
      expectProblem(await entries('', 'b'), 404, 'ACCOUNT_NOT_FOUND');
    });

    it.each([
      ['a limit of 0', '?limit=0'],
      ['a limit over 100', '?limit=101'],
      ['a limit that is not a number', '?limit=ten'],
      ['an unknown parameter', '?offset=2'],
    ])('answers 400 VALIDATION_ERROR for %s', async (_, query) => {
      expectProblem(await entries(query), 400, 'VALIDATION_ERROR');
    });

    it('answers 400 INVALID_CURSOR for a cursor it did not make', async () => {
      expectProblem(await entries('?cursor=bm90LWEtY3Vyc29y'), 400, 'INVALID_CURSOR');
    });
  });

  it.each([
    [
      'POST /v1/accounts',
      () => requestJson(service.baseUrl, 'POST', '/v1/accounts', { body: { currency: 'EUR' } }),
    ],
    ['GET /v1/accounts/{id}', () => requestJson(service.baseUrl, 'GET', `/v1/accounts/${randomUUID()}`)],
    [
      'GET /v1/accounts/{id}/entries',
      () =>
        requestJson(service.baseUrl, 'GET', `/v1/accounts/${randomUUID()}/entries`, {
          headers: { authorization: 'Bearer not-a-key-of-any-client' },
        }),
    ],
  ])('answers 401 UNAUTHORIZED to %s without a valid API key', async (_, call) => {
    expectProblem(await call(), 401, 'UNAUTHORIZED');
  });

  /** Posts a transfer straight through the ledger's use case, on the app's database; returns its id. */
  async function postTransfer(
    fromAccountId: string,
    toAccountId: string,
    amountMinor: bigint,
    requester: Client = 'a',
  ): Promise<string> {
    const request = transferRequested({
      clientId: TEST_CLIENTS[requester].id,
      fromAccountId,
      toAccountId,
      amountMinor,
    });
    await expect(
      new PostTransferHandler(service.app.get(PG_DATABASE)).execute(request),
    ).resolves.toMatchObject({
      outcome: 'posted',
    });
    return request.aggregateId;
  }
});
