// Proves the group commit of POST /v1/transfers on the real database: a burst of concurrent requests
// is written in a few statements (counted by the batcher itself) and every request is stored with its
// key and outbox row; the same key twice in one burst gives one transfer, a replay and a 422; a batch
// holding a value the database refuses fails only that request; the database away answers every
// request of the burst 503 and stores nothing, and the same requests retried later are accepted.
// While a test builds a burst, a lock on idempotency_keys holds the accept statements back, so which
// requests share a batch does not depend on timing: the test waits until all of them are submitted.
import { postgresDataException } from '@oncepay/sql';
import {
  createTestDatabase,
  startTestService,
  TEST_CLIENTS,
  waitFor,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';
import { AppModule } from '../../app.module';
import { AcceptBatcher } from './accept-batcher';
import { RequestTransferHandler } from './request-transfer.handler';
import type { RequestTransferBody } from './request-transfer.dto';

describe('POST /v1/transfers: group commit', () => {
  let database: TestDatabase;
  let service: TestService;
  let batcher: AcceptBatcher;
  let admin: Client;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, { DATABASE_URL: database.url });
    batcher = service.app.get(AcceptBatcher);
    admin = new Client({ connectionString: database.adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await service.close();
    await database.drop();
  });

  const validBody = () => ({
    fromAccountId: randomUUID(),
    toAccountId: randomUUID(),
    amount: '1500',
    currency: 'EUR',
  });

  function post(baseUrl: string, body: unknown, key: string) {
    return fetch(`${baseUrl}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...TEST_CLIENTS.a.auth },
      body: JSON.stringify(body),
    });
  }

  /** Requests the batcher has taken so far (written, in flight or waiting). */
  const submitted = () => {
    const stats = batcher.stats();
    return stats.items + stats.waiting;
  };

  /** Holds every accept statement back (its INSERT waits for this lock) until `release`. */
  async function holdAccepts(): Promise<{ release(): Promise<void> }> {
    const holder = new Client({ connectionString: database.adminUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE idempotency_keys IN SHARE MODE');
    return {
      release: async () => {
        await holder.query('COMMIT');
        await holder.end();
      },
    };
  }

  async function waitUntilSubmitted(count: number): Promise<void> {
    await waitFor(
      () => Promise.resolve(submitted()),
      (n) => n >= count,
      { what: `${count} accepts submitted` },
    );
  }

  /** What is stored for these keys: the keys, their transfers, and those transfers' outbox rows. */
  async function storedFor(keys: readonly string[]) {
    const { rows } = await admin.query<{ keys: number; transfers: number; outbox: number }>(
      `SELECT (SELECT count(*)::int FROM idempotency_keys WHERE key = ANY($1)) AS keys,
              (SELECT count(*)::int FROM transfers t JOIN idempotency_keys k
                   ON k.client_id = t.client_id AND (k.response_body->>'id')::uuid = t.id
                WHERE k.key = ANY($1)) AS transfers,
              (SELECT count(*)::int FROM outbox_messages o JOIN idempotency_keys k
                   ON o.key = k.response_body->>'id'
                WHERE k.key = ANY($1)) AS outbox`,
      [keys],
    );
    return rows[0]!;
  }

  it('writes a burst of concurrent requests in a few statements, each with its key and outbox row', async () => {
    const burst = 120;
    const keys = Array.from({ length: burst }, () => randomUUID());
    const before = batcher.stats();
    const held = await holdAccepts();

    const responses = Promise.all(keys.map((key) => post(service.baseUrl, validBody(), key)));
    await waitUntilSubmitted(before.items + before.waiting + burst);
    await held.release();
    const answered = await responses;

    expect(answered.map((response) => response.status)).toEqual(Array(burst).fill(202));
    expect(answered.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toEqual([]);
    const after = batcher.stats();
    // The first request leaves at once, the second takes the other slot, the rest wait and leave together.
    expect(after.items - before.items).toBe(burst);
    expect(after.batches - before.batches).toBe(3);
    expect(after.largestBatch).toBeGreaterThanOrEqual(burst - 2);
    expect(await storedFor(keys)).toEqual({ keys: burst, transfers: burst, outbox: burst });
  });

  it('never puts one key twice in a batch: one transfer, a replay, and a 422 for another body', async () => {
    const key = randomUUID();
    const body = validBody();
    const others = Array.from({ length: 10 }, () => randomUUID());
    const held = await holdAccepts();
    const start = submitted();

    const first = post(service.baseUrl, body, key);
    await waitUntilSubmitted(start + 1);
    const sameAgain = post(service.baseUrl, { ...body }, key);
    const otherBody = post(service.baseUrl, validBody(), key);
    const rest = others.map((other) => post(service.baseUrl, validBody(), other));
    await waitUntilSubmitted(start + 13);
    await held.release();

    const [firstAnswer, sameAnswer, otherAnswer] = await Promise.all([first, sameAgain, otherBody]);
    expect(firstAnswer.status).toBe(202);
    expect(firstAnswer.headers.get('idempotent-replayed')).toBeNull();
    expect(sameAnswer.status).toBe(202);
    expect(sameAnswer.headers.get('idempotent-replayed')).toBe('true');
    expect(await sameAnswer.json()).toEqual(await firstAnswer.json());
    expect(otherAnswer.status).toBe(422);
    expect(await otherAnswer.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await Promise.all(rest)).map((response) => response.status)).toEqual(Array(10).fill(202));
    expect(await storedFor([key])).toEqual({ keys: 1, transfers: 1, outbox: 1 });
  });

  it('fails only the request whose value the database refuses; the rest of its batch is stored once', async () => {
    // The handler, not HTTP: the edge refuses a NUL before it gets here; the database is the backstop.
    const handler = service.app.get(RequestTransferHandler);
    const request = (reference: string) => {
      const key = randomUUID();
      const body: RequestTransferBody = { ...validBody(), amount: 1500n, reference };
      return {
        key,
        result: handler.execute({
          clientId: TEST_CLIENTS.a.id,
          idempotencyKey: key,
          correlationId: randomUUID(),
          body,
        }),
      };
    };
    const before = batcher.stats();
    const held = await holdAccepts();

    const good = Array.from({ length: 6 }, () => request('rent'));
    const bad = request('rent\u0000');
    await waitUntilSubmitted(before.items + before.waiting + 7);
    await held.release();

    const error = await bad.result.then(
      () => undefined,
      (refused: unknown) => refused,
    );
    expect(postgresDataException(error)).toBeDefined();
    for (const { result } of good) await expect(result).resolves.toMatchObject({ outcome: 'accepted' });
    expect(batcher.stats().batchesRetriedOneByOne - before.batchesRetriedOneByOne).toBe(1);
    expect(await storedFor(good.map(({ key }) => key))).toEqual({ keys: 6, transfers: 6, outbox: 6 });
    expect(await storedFor([bad.key])).toEqual({ keys: 0, transfers: 0, outbox: 0 });
  });

  it('answers every request of a burst 503 while the database is away, stores nothing, and takes them later', async () => {
    const proxy = await startProxy(new URL(database.url));
    const behindProxy = new URL(database.url);
    behindProxy.port = String(proxy.port);
    const away = await startTestService(AppModule.withEnvironment, { DATABASE_URL: behindProxy.toString() });
    try {
      const awayBatcher = away.app.get(AcceptBatcher);
      // Warm: the pool holds connections through the proxy that the cut then breaks.
      expect((await post(away.baseUrl, validBody(), randomUUID())).status).toBe(202);
      const before = awayBatcher.stats();
      proxy.cut();

      const keys = Array.from({ length: 20 }, () => randomUUID());
      const bodies = keys.map(() => validBody());
      const answered = await Promise.all(keys.map((key, i) => post(away.baseUrl, bodies[i], key)));

      expect(answered.map((response) => response.status)).toEqual(Array(20).fill(503));
      const problem = answered[0]!;
      expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(problem.headers.get('retry-after')).toBe('2');
      expect(await problem.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      const failed = awayBatcher.stats();
      expect(failed.items - before.items).toBe(20);
      // The database away is no one request's fault: no one-by-one retry.
      expect(failed.batchesRetriedOneByOne).toBe(before.batchesRetriedOneByOne);
      expect(await storedFor(keys)).toEqual({ keys: 0, transfers: 0, outbox: 0 });

      proxy.restore();
      const retried = await Promise.all(keys.map((key, i) => post(away.baseUrl, bodies[i], key)));
      expect(retried.map((response) => response.status)).toEqual(Array(20).fill(202));
      expect(retried.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toEqual(
        [],
      );
      expect(await storedFor(keys)).toEqual({ keys: 20, transfers: 20, outbox: 20 });
    } finally {
      await away.close();
      await proxy.close();
    }
  }, 60_000);
});

/**
 * A TCP proxy in front of PostgreSQL that the test can cut (every connection dropped, new ones closed
 * at once, as a database that went away) and restore.
 */
async function startProxy(target: URL) {
  const open = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
