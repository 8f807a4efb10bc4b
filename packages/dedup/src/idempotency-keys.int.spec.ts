// Proves, on the real transfer database, the life of an HTTP idempotency key written with its effect in
// one statement: a new key, replay of the stored response, fingerprint mismatch, one winner among
// concurrent requests (the others replay), expiry, no key without its effect, and purge; and the
// pieces for an effect decided in its own transaction: the stored key's answer, the key written last.
import {
  createPrismaClient,
  createTestDatabase,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { executorOfPrisma } from '@oncepay/sql';
import { randomUUID } from 'node:crypto';
import {
  answerForStoredKey,
  idempotencyKeyParams,
  insertIdempotencyKey,
  insertIdempotencyKeySql,
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  purgeExpiredIdempotencyKeys,
  writeOnceForKey,
  type KeyedWriteResult,
} from './idempotency-keys';
import { fingerprintRequest } from './request-fingerprint';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (offsetMs: number, from: Date = T0) => new Date(from.getTime() + offsetMs);
const fingerprintOf = (amount: string) =>
  fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: { amount, currency: 'EUR' } });
const ORIGINAL = fingerprintOf('100');
const OTHER = fingerprintOf('999');
const RESPONSE = { id: 'tr_1', status: 'PENDING', amount: '100', nested: { z: 1, a: [true, null] } };

describe('idempotency keys on PostgreSQL', () => {
  let database: TestDatabase;
  let prisma: PrismaClientOf['transfer'];

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    prisma = createPrismaClient('transfer', database.url);
    await database.createTable(
      'test_effects',
      'id bigserial PRIMARY KEY, key text NOT NULL, note text NOT NULL',
    );
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  const newRef = () => ({ clientId: 'demo-a', key: randomUUID() });

  /**
   * The transfer use case in miniature: ONE statement writes the key and the effect (a row of
   * test_effects), the effect only for a new key. `note: null` makes the effect fail.
   */
  const write = (
    ref: { clientId: string; key: string },
    fingerprint: string,
    now: Date,
    note: string | null = 'effect',
  ): Promise<KeyedWriteResult> => {
    const key = {
      ...ref,
      fingerprint,
      status: 202,
      body: RESPONSE,
      now,
      retentionMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS,
    };
    return writeOnceForKey(executorOfPrisma(prisma), key, async () => {
      const keyValues = idempotencyKeyParams([key]);
      const effect = keyValues.length + 1;
      const inserted = await prisma.$executeRawUnsafe(
        `WITH new_key AS (${insertIdempotencyKeySql()})
         INSERT INTO test_effects (key, note) SELECT $${effect}, $${effect + 1} FROM new_key`,
        ...keyValues,
        ref.key,
        note,
      );
      return inserted === 1;
    });
  };

  async function effectCount(key: string): Promise<number> {
    const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM test_effects WHERE key = $1`,
      key,
    );
    return rows[0]?.n ?? -1;
  }

  it('writes a new key with its effect, then replays the stored status and body and refuses another request', async () => {
    const ref = newRef();
    await expect(write(ref, ORIGINAL, T0)).resolves.toEqual({ outcome: 'created' });
    await expect(write(ref, ORIGINAL, at(1_000))).resolves.toEqual({
      outcome: 'replay',
      status: 202,
      body: RESPONSE,
    });
    await expect(write(ref, OTHER, at(1_000))).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('keeps keys of different clients apart', async () => {
    const key = randomUUID();
    await expect(write({ clientId: 'demo-a', key }, ORIGINAL, T0)).resolves.toEqual({ outcome: 'created' });
    await expect(write({ clientId: 'demo-b', key }, OTHER, T0)).resolves.toEqual({ outcome: 'created' });
  });

  it('gives exactly one of 50 concurrent requests with one key the effect; the other 49 replay it', async () => {
    const ref = newRef();
    const results = await Promise.all(Array.from({ length: 50 }, () => write(ref, ORIGINAL, T0)));
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'replay')).toHaveLength(49);
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('treats an expired key as absent, whatever its fingerprint', async () => {
    const ref = newRef();
    await write(ref, ORIGINAL, T0);
    const lastDay = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS - 1);
    await expect(write(ref, ORIGINAL, lastDay)).resolves.toMatchObject({ outcome: 'replay' });
    const expired = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS + 1);
    await expect(write(ref, OTHER, expired)).resolves.toEqual({ outcome: 'created' });
    await expect(write(ref, ORIGINAL, at(1, expired))).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
    await expect(effectCount(ref.key)).resolves.toBe(2);
  });

  it('stores no key when the effect fails: the retry is processed, not replayed', async () => {
    const ref = newRef();
    await expect(write(ref, ORIGINAL, T0, null)).rejects.toThrow();
    await expect(effectCount(ref.key)).resolves.toBe(0);
    await expect(write(ref, ORIGINAL, at(1_000))).resolves.toEqual({ outcome: 'created' });
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('answers a stored key inside a transaction that writes the key only once its effect is decided', async () => {
    const db = executorOfPrisma(prisma);
    const ref = newRef();
    const ask = (fingerprint: string, now: Date) => answerForStoredKey(db, { ...ref, fingerprint, now });
    const stored = { ...ref, fingerprint: ORIGINAL, status: 202, body: RESPONSE, now: T0 };
    await expect(ask(ORIGINAL, T0)).resolves.toEqual({ outcome: 'absent' });
    const retentionMs = MIN_IDEMPOTENCY_KEY_RETENTION_MS;
    await expect(insertIdempotencyKey(db, { ...stored, retentionMs })).resolves.toBe(true);
    // Stored already: not written again, whatever it would store.
    await expect(insertIdempotencyKey(db, { ...stored, fingerprint: OTHER, retentionMs })).resolves.toBe(
      false,
    );
    await expect(ask(ORIGINAL, at(1_000))).resolves.toEqual({
      outcome: 'replay',
      status: 202,
      body: RESPONSE,
    });
    await expect(ask(OTHER, at(1_000))).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
    // Expired: deleted, so absent, and the key may be written afresh.
    const expired = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS + 1);
    await expect(ask(OTHER, expired)).resolves.toEqual({ outcome: 'absent' });
    await expect(
      insertIdempotencyKey(db, { ...stored, fingerprint: OTHER, now: expired, retentionMs }),
    ).resolves.toBe(true);
    await expect(ask(OTHER, at(1_000, expired))).resolves.toMatchObject({ outcome: 'replay' });
  });

  it('purges only expired keys, at most batchSize * maxBatches per call', async () => {
    // Years before T0, so the keys of the other tests are never expired here.
    const past = new Date('2020-01-01T00:00:00.000Z');
    const oldKeys = Array.from({ length: 7 }, () => ({ clientId: 'purge', key: randomUUID() }));
    const freshKeys = Array.from({ length: 3 }, () => ({ clientId: 'purge', key: randomUUID() }));
    for (const ref of oldKeys) await write(ref, ORIGINAL, past);
    const purgeAt = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS + 1, past);
    for (const ref of freshKeys) await write(ref, ORIGINAL, purgeAt);

    const purge = () =>
      purgeExpiredIdempotencyKeys(executorOfPrisma(prisma), { now: purgeAt, batchSize: 3, maxBatches: 2 });
    await expect(purge()).resolves.toBe(6);
    await expect(purge()).resolves.toBe(1);
    await expect(purge()).resolves.toBe(0);
    const rows = await prisma.$queryRawUnsafe<{ key: string }[]>(
      `SELECT key FROM idempotency_keys WHERE client_id = 'purge'`,
    );
    expect(rows.map((r) => r.key).sort()).toEqual(freshKeys.map((r) => r.key).sort());
  });
});
