// Proves the limits every service's HTTP edge applies, on the real transfer-service: a client over its
// rate limit gets 429 problem+json with Retry-After while another client is still served; a client
// that sends a few bytes and stalls is cut off after the request timeout; no statement runs past the
// statement timeout; and a database that cannot be reached, or a pool with no free connection, is a
// 503 with Retry-After, never a 500.
import { PG_DATABASE } from '@oncepay/service-runtime';
import type { PgDatabase } from '@oncepay/sql';
import { isRetriableError } from '@oncepay/sql';
import {
  createTestDatabase,
  requestJson,
  startTestService,
  TEST_CLIENTS,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import net from 'node:net';
import { AppModule } from './app.module';

describe('the HTTP edge limits of a service', () => {
  let database: TestDatabase;
  const started: TestService[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
  });
  afterAll(async () => {
    await Promise.all(started.map((service) => service.close()));
    await database.drop();
  });

  async function start(env: Record<string, string>): Promise<TestService> {
    const service = await startTestService(AppModule.withEnvironment, { DATABASE_URL: database.url, ...env });
    started.push(service);
    return service;
  }

  const list = (service: TestService, client: keyof typeof TEST_CLIENTS) =>
    requestJson(service.baseUrl, 'GET', '/v1/transfers', { headers: TEST_CLIENTS[client].auth });

  it('answers a burst over the limit with 429 and Retry-After, and still serves another client', async () => {
    // A window far longer than the burst takes on a busy machine, so none of it falls in a fresh window.
    const service = await start({ RATE_LIMIT_MAX: '20', RATE_LIMIT_WINDOW_MS: '600000' });

    const burst = await Promise.all(Array.from({ length: 200 }, () => list(service, 'a')));
    const other = await list(service, 'b');
    const health = await requestJson(service.baseUrl, 'GET', '/health');
    // The same route spelt otherwise (a percent-encoded `v`) is the same route, counted the same.
    const respelt = await requestJson(service.baseUrl, 'GET', '/%761/transfers', {
      headers: TEST_CLIENTS.a.auth,
    });

    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(180);
    const limited = burst.find((response) => response.status === 429)!;
    expect(limited.contentType).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // The seconds until the window ends: most of the 600 s window is still ahead.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(500);
    expect(other.status).toBe(200);
    expect(health.status).toBe(200);
    expect(respelt.status).toBe(429);
  });

  it('cuts off a client that sends headers and one byte of its body, then stalls', async () => {
    const service = await start({ HTTP_REQUEST_TIMEOUT_MS: '1000' });
    const { port } = new URL(service.baseUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    const startedAt = Date.now();
    socket.write(
      'POST /v1/transfers HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Authorization: ${TEST_CLIENTS.a.auth.authorization}\r\nIdempotency-Key: slow\r\n` +
        'Content-Length: 100\r\n\r\n{',
    );
    const closedAfterMs = await new Promise<number>((resolve) => {
      socket.on('close', () => resolve(Date.now() - startedAt));
      socket.on('error', () => undefined);
      socket.resume();
    });
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('cancels a statement that runs past the statement timeout, as a failure worth retrying', async () => {
    const service = await start({ DATABASE_STATEMENT_TIMEOUT_MS: '200' });
    const db = service.app.get<PgDatabase>(PG_DATABASE);

    const slow = db.query('SELECT pg_sleep(2)');

    await expect(slow).rejects.toMatchObject({ code: '57014' });
    expect(isRetriableError(await slow.catch((error: unknown) => error))).toBe(true);
  });

  it('answers 503 with Retry-After when the database cannot be reached', async () => {
    const unreachable = new URL(database.url);
    unreachable.port = '1';
    const service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: unreachable.toString(),
    });
    started.push(service);

    const response = await list(service, 'a');

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(response.headers.get('retry-after')).toBe('2');
  });

  it('answers 503 with Retry-After when every pooled connection stays busy', async () => {
    const service = await start({ DATABASE_POOL_SIZE: '2' });
    const db = service.app.get<PgDatabase>(PG_DATABASE);
    // Both connections held for longer than the pool's 5 s wait for a free one.
    const holders = [db.query('SELECT pg_sleep(8)'), db.query('SELECT pg_sleep(8)')];

    const response = await list(service, 'a');
    await Promise.allSettled(holders);

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(response.headers.get('retry-after')).toBe('2');
  }, 30_000);
});
