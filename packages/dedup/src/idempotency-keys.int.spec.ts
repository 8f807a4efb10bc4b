// Proves, on the real transfer database, the life of an HTTP idempotency key: claim, in-flight,
// fingerprint mismatch, replay of the stored response, one winner among concurrent claims, takeover
// of a crashed request's claim, expiry, completion atomic with the effect, release and purge.
import {
  createPrismaClient,
  createTestDatabase,
  type PrismaClientOf,
  type TestDatabase,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  IdempotencyKeyNotHeldError,
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  purgeExpiredIdempotencyKeys,
  releaseIdempotencyKey,
  type ClaimResult,
} from './idempotency-keys';
import { fingerprintRequest } from './request-fingerprint';
import type { SqlExecutor } from './sql-executor';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const LOCK_TTL_MS = 30_000;
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
    await prisma.$executeRawUnsafe(`CREATE TABLE test_effects (id bigserial PRIMARY KEY, key text NOT NULL)`);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  function readCommitted<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return prisma.$transaction(fn, { isolationLevel: 'ReadCommitted', timeout: 10_000, maxWait: 5_000 });
  }

  const newRef = () => ({ clientId: 'demo-a', key: randomUUID() });
  const claim = (
    ref: { clientId: string; key: string },
    fingerprint: string,
    now: Date,
  ): Promise<ClaimResult> =>
    claimIdempotencyKey(prisma, {
      ...ref,
      fingerprint,
      now,
      lockTtlMs: LOCK_TTL_MS,
      retentionMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS,
    });

  /** The transfer use case in miniature: the effect and the stored response in one transaction. */
  const completeWithEffect = (ref: { clientId: string; key: string }, now: Date, failAfterComplete = false) =>
    readCommitted(async (tx) => {
      await tx.$executeRawUnsafe(`INSERT INTO test_effects (key) VALUES ($1)`, ref.key);
      await completeIdempotencyKey(tx, { ...ref, status: 202, body: RESPONSE, now });
      if (failAfterComplete) throw new Error('outbox insert failed');
    });

  async function effectCount(key: string): Promise<number> {
    const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM test_effects WHERE key = $1`,
      key,
    );
    return rows[0]?.n ?? -1;
  }

  it('claims a new key, then answers in_flight for the same request and fingerprint_mismatch for another', async () => {
    const ref = newRef();
    await expect(claim(ref, ORIGINAL, T0)).resolves.toEqual({ outcome: 'claimed' });
    await expect(claim(ref, ORIGINAL, at(1_000))).resolves.toEqual({ outcome: 'in_flight' });
    await expect(claim(ref, OTHER, at(1_000))).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
  });

  it('replays the stored status and body once completed, and still refuses another request', async () => {
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await completeWithEffect(ref, at(500));
    await expect(claim(ref, ORIGINAL, at(1_000))).resolves.toEqual({
      outcome: 'replay',
      status: 202,
      body: RESPONSE,
    });
    await expect(claim(ref, OTHER, at(1_000))).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('keeps keys of different clients apart', async () => {
    const key = randomUUID();
    await expect(claim({ clientId: 'demo-a', key }, ORIGINAL, T0)).resolves.toEqual({ outcome: 'claimed' });
    await expect(claim({ clientId: 'demo-b', key }, OTHER, T0)).resolves.toEqual({ outcome: 'claimed' });
  });

  it('gives exactly one of 50 concurrent claims of one key the claim; the others see in_flight', async () => {
    const ref = newRef();
    const results = await Promise.all(Array.from({ length: 50 }, () => claim(ref, ORIGINAL, T0)));
    expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'in_flight')).toHaveLength(49);
  });

  it('lets the same request take over a claim whose lock passed, once, but never another request', async () => {
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await expect(claim(ref, ORIGINAL, at(LOCK_TTL_MS))).resolves.toEqual({ outcome: 'in_flight' });
    const afterCrash = at(LOCK_TTL_MS + 1);
    await expect(claim(ref, OTHER, afterCrash)).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
    const takeovers = await Promise.all(Array.from({ length: 20 }, () => claim(ref, ORIGINAL, afterCrash)));
    expect(takeovers.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    expect(takeovers.filter((r) => r.outcome === 'in_flight')).toHaveLength(19);
  });

  it('commits one effect when a slow holder and its taker-over both complete', async () => {
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await expect(claim(ref, ORIGINAL, at(LOCK_TTL_MS + 1))).resolves.toEqual({ outcome: 'claimed' });
    await completeWithEffect(ref, at(LOCK_TTL_MS + 2));
    await expect(completeWithEffect(ref, at(LOCK_TTL_MS + 3))).rejects.toBeInstanceOf(
      IdempotencyKeyNotHeldError,
    );
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('treats an expired key as absent, whatever its state and fingerprint', async () => {
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await completeWithEffect(ref, at(500));
    const lastDay = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS - 1);
    await expect(claim(ref, ORIGINAL, lastDay)).resolves.toMatchObject({ outcome: 'replay' });
    const expired = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS + 1);
    await expect(claim(ref, OTHER, expired)).resolves.toEqual({ outcome: 'claimed' });
    await expect(claim(ref, OTHER, at(1, expired))).resolves.toEqual({ outcome: 'in_flight' });
    await expect(claim(ref, ORIGINAL, at(1, expired))).resolves.toEqual({ outcome: 'fingerprint_mismatch' });
  });

  it('stores the response only with the effect: a rolled-back transaction leaves the claim IN_FLIGHT', async () => {
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await expect(completeWithEffect(ref, at(500), true)).rejects.toThrow('outbox insert failed');
    await expect(effectCount(ref.key)).resolves.toBe(0);
    await expect(claim(ref, ORIGINAL, at(1_000))).resolves.toEqual({ outcome: 'in_flight' });
    await completeWithEffect(ref, at(1_500));
    await expect(claim(ref, ORIGINAL, at(2_000))).resolves.toMatchObject({ outcome: 'replay', status: 202 });
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('refuses to complete a key that is not held: unknown, or already completed', async () => {
    const unknown = newRef();
    await expect(completeWithEffect(unknown, T0)).rejects.toBeInstanceOf(IdempotencyKeyNotHeldError);
    await expect(effectCount(unknown.key)).resolves.toBe(0);
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await completeWithEffect(ref, at(500));
    await expect(completeWithEffect(ref, at(600))).rejects.toBeInstanceOf(IdempotencyKeyNotHeldError);
    await expect(effectCount(ref.key)).resolves.toBe(1);
  });

  it('releases an in-flight claim so the key is free again, but never a completed one', async () => {
    const ref = newRef();
    await claim(ref, ORIGINAL, T0);
    await expect(releaseIdempotencyKey(prisma, ref)).resolves.toBe('released');
    await expect(releaseIdempotencyKey(prisma, ref)).resolves.toBe('not_held');
    await expect(claim(ref, OTHER, at(1_000))).resolves.toEqual({ outcome: 'claimed' });
    await completeWithEffect(ref, at(1_500));
    await expect(releaseIdempotencyKey(prisma, ref)).resolves.toBe('not_held');
    await expect(claim(ref, OTHER, at(2_000))).resolves.toMatchObject({ outcome: 'replay' });
  });

  it('purges only expired keys, at most batchSize * maxBatches per call', async () => {
    // Years before T0, so the keys of the other tests are never expired here.
    const past = new Date('2020-01-01T00:00:00.000Z');
    const oldKeys = Array.from({ length: 7 }, () => ({ clientId: 'purge', key: randomUUID() }));
    const freshKeys = Array.from({ length: 3 }, () => ({ clientId: 'purge', key: randomUUID() }));
    for (const ref of oldKeys) await claim(ref, ORIGINAL, past);
    const purgeAt = at(MIN_IDEMPOTENCY_KEY_RETENTION_MS + 1, past);
    for (const ref of freshKeys) await claim(ref, ORIGINAL, purgeAt);

    const purge = () => purgeExpiredIdempotencyKeys(prisma, { now: purgeAt, batchSize: 3, maxBatches: 2 });
    await expect(purge()).resolves.toBe(6);
    await expect(purge()).resolves.toBe(1);
    await expect(purge()).resolves.toBe(0);
    const rows = await prisma.$queryRawUnsafe<{ key: string }[]>(
      `SELECT key FROM idempotency_keys WHERE client_id = 'purge'`,
    );
    expect(rows.map((r) => r.key).sort()).toEqual(freshKeys.map((r) => r.key).sort());
  });
});
