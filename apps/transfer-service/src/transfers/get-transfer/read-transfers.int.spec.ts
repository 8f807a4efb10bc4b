// Proves transfers are readable only by the client that requested them, and that the list filters by
// status and account and pages with a stable cursor.
import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  startTestService,
  TEST_CLIENTS,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { AppModule } from '../../app.module';

describe('GET /v1/transfers', () => {
  let database: TestDatabase;
  let service: TestService;
  const account = randomUUID();
  const created: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${service.baseUrl}/v1/transfers`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
          ...TEST_CLIENTS.a.auth,
        },
        body: JSON.stringify({
          fromAccountId: account,
          toAccountId: randomUUID(),
          amount: String(100 + i),
          currency: 'EUR',
        }),
      });
      created.push(((await response.json()) as { id: string }).id);
    }
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  const get = async (path: string, client: keyof typeof TEST_CLIENTS = 'a') => {
    const response = await fetch(service.baseUrl + path, { headers: TEST_CLIENTS[client].auth });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('returns a transfer to its client and 404 to any other', async () => {
    const id = created[0]!;
    expect(await get(`/v1/transfers/${id}`)).toMatchObject({
      status: 200,
      body: { id, status: 'PENDING', amount: '100' },
    });
    expect(await get(`/v1/transfers/${id}`, 'b')).toMatchObject({
      status: 404,
      body: { code: 'TRANSFER_NOT_FOUND' },
    });
    expect(await get(`/v1/transfers/${randomUUID()}`)).toMatchObject({ status: 404 });
    expect(await get('/v1/transfers/not-a-uuid')).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_ERROR' },
    });
  });

  it('pages through an account’s transfers newest first without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const query: string = `/v1/transfers?accountId=${account}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, body } = await get(query);
      expect(status).toBe(200);
      seen.push(...(body.data as { id: string }[]).map((t) => t.id));
      cursor = body.nextCursor as string | null;
      if (!cursor) break;
    }
    expect(seen).toEqual([...created].reverse());
  });

  it('filters by status, shows nothing of other clients, and refuses a bad query', async () => {
    expect((await get(`/v1/transfers?accountId=${account}&status=COMPLETED`)).body.data).toEqual([]);
    expect((await get(`/v1/transfers?accountId=${account}`, 'b')).body.data).toEqual([]);
    expect(await get('/v1/transfers?limit=1000')).toMatchObject({ status: 400 });
    expect(await get('/v1/transfers?status=DONE')).toMatchObject({ status: 400 });
    expect(await get('/v1/transfers?cursor=garbage')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_CURSOR' },
    });
    // Well-formed, but dated where PostgreSQL cannot follow (year 0000 parses in JavaScript only).
    const yearZero = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', randomUUID()])).toString(
      'base64url',
    );
    expect(await get(`/v1/transfers?cursor=${yearZero}`)).toMatchObject({
      status: 400,
      body: { code: 'INVALID_CURSOR' },
    });
  });
});
