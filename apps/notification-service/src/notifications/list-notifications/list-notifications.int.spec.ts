// Proves GET /v1/notifications on the real AppModule: a client sees only its own notifications (another
// client's are invisible, even by transfer id), pages walk the list newest first without gaps or
// repeats, and a bad query or a missing key is a problem+json 400 or 401.
import {
  createTestDatabase,
  requestJson,
  sampleTransferCompleted,
  sampleTransferFailed,
  startTestService,
  TEST_CLIENTS,
  type PrismaClientOf,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { PRISMA } from '@oncepay/service-runtime';
import { randomUUID } from 'node:crypto';
import { notificationBodyOf, type TransferOutcomeEvent } from '../domain/notification-body';
import type { NotificationPage, NotificationView } from './list-notifications.handler';
import { AppModule } from '../../app.module';

describe('GET /v1/notifications', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['notification'];
  let service: TestService;
  /** client-a's notifications, newest first: the order the API must return them in. */
  const ownedByA: { id: string; transferId: string }[] = [];
  let transferOfB: string;
  const createdAtById = new Map<string, number>();

  /** The API's order reversed: created_at, then id (lower-case UUID strings sort like the uuid type). */
  function compareOldestFirst(x: { id: string }, y: { id: string }): number {
    const byTime = (createdAtById.get(x.id) ?? 0) - (createdAtById.get(y.id) ?? 0);
    return byTime !== 0 ? byTime : x.id < y.id ? -1 : 1;
  }

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    // The app's own client: a second Prisma client loaded outside the app's module registry broke the
    // query compiler's WebAssembly state here ("attempted to take ownership of Rust value").
    prisma = service.app.get<PrismaClientOf['notification']>(PRISMA);
    const base = Date.parse('2026-11-01T10:00:00.000Z');
    // Five for client-a, two of them created in the same millisecond (the id breaks the tie), one for b.
    const createdAtMs = [base, base + 1_000, base + 2_000, base + 2_000, base + 3_000];
    for (const [index, at] of createdAtMs.entries()) {
      const event = index % 2 === 0 ? sampleTransferCompleted() : sampleTransferFailed();
      ownedByA.push(await insertNotification(event, TEST_CLIENTS.a.id, new Date(at)));
    }
    ownedByA.sort((x, y) => compareOldestFirst(y, x));
    transferOfB = (await insertNotification(sampleTransferCompleted(), TEST_CLIENTS.b.id, new Date(base)))
      .transferId;
  });
  afterAll(async () => {
    await service?.close();
    await database.drop();
  });

  /** Settled rows (DELIVERED / GAVE_UP) so the running dispatcher leaves them as they are. */
  async function insertNotification(event: TransferOutcomeEvent, clientId: string, createdAt: Date) {
    const body = notificationBodyOf(event);
    const delivered = body.outcome === 'COMPLETED';
    const row = await prisma.notification.create({
      data: {
        id: randomUUID(),
        transferId: body.transferId,
        clientId,
        outcome: body.outcome,
        failureReason: body.reason,
        eventId: event.id,
        payload: body,
        status: delivered ? 'DELIVERED' : 'GAVE_UP',
        attempts: delivered ? 1 : 8,
        createdAt,
        deliveredAt: delivered ? new Date(createdAt.getTime() + 40) : null,
      },
    });
    createdAtById.set(row.id, createdAt.getTime());
    return { id: row.id, transferId: row.transferId };
  }

  const list = (query: string, headers: Record<string, string> = TEST_CLIENTS.a.auth) =>
    requestJson(service.baseUrl, 'GET', `/v1/notifications${query}`, { headers });

  it('lists only the calling client notifications, newest first', async () => {
    const response = await list('');
    expect(response.status).toBe(200);
    const page = response.body as NotificationPage;
    expect(page.data.map((n) => n.id)).toEqual(ownedByA.map((n) => n.id));
    expect(page.nextCursor).toBeNull();

    const asB = (await list('', TEST_CLIENTS.b.auth)).body as NotificationPage;
    expect(asB.data.map((n) => n.transferId)).toEqual([transferOfB]);
  });

  it('finds a notification by transfer id, showing its delivery state', async () => {
    const target = ownedByA[0]!;
    const response = await list(`?transferId=${target.transferId}`);
    const row = await prisma.notification.findUniqueOrThrow({ where: { id: target.id } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: [
        {
          id: row.id,
          transferId: row.transferId,
          outcome: row.outcome,
          failureReason: row.failureReason,
          status: row.status,
          attempts: row.attempts,
          createdAt: row.createdAt.toISOString(),
          deliveredAt: row.deliveredAt?.toISOString() ?? null,
        } satisfies NotificationView,
      ],
      nextCursor: null,
    });
  });

  it("shows another client's notification to no one but its owner", async () => {
    const response = await list(`?transferId=${ownedByA[0]!.transferId}`, TEST_CLIENTS.b.auth);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: [], nextCursor: null });
    const mine = await list(`?transferId=${transferOfB}`);
    expect(mine.body).toEqual({ data: [], nextCursor: null });
  });

  it('pages through the list without gaps or repeats', async () => {
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    // Bounded: five notifications in pages of two take three pages; ten would mean a broken cursor.
    for (let page = 0; page < 10; page++) {
      const response = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      const body = response.body as NotificationPage;
      seen.push(...body.data.map((n) => n.id));
      pageSizes.push(body.data.length);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(ownedByA.map((n) => n.id));
  });

  it.each([
    ['a limit out of range', '?limit=0', 'limit'],
    ['a limit that is not a number', '?limit=ten', 'limit'],
    ['a transfer id that is not a UUID', '?transferId=42', 'transferId'],
    ['a cursor it did not issue', '?cursor=bm90LWEtY3Vyc29y', 'cursor'],
    [
      'a cursor dated year 0000, which PostgreSQL cannot compare with',
      `?cursor=${Buffer.from(JSON.stringify({ createdAt: '0000-01-01T00:00:00.000Z', id: randomUUID() })).toString('base64url')}`,
      'cursor',
    ],
    ['an unknown parameter', `?transfer_id=${randomUUID()}`, ''],
  ])('answers 400 problem+json for %s', async (_case, query, path) => {
    const response = await list(query);
    expect(response.status).toBe(400);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', errors: [{ path }] });
  });

  it.each([
    ['no API key', {}],
    ['an unknown API key', { authorization: 'Bearer not-a-key-anyone-was-given' }],
  ])('answers 401 problem+json for %s', async (_case, headers) => {
    const response = await list('', headers);
    expect(response.status).toBe(401);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
