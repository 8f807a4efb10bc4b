// Proves the idempotency-key store refuses bad arguments (configuration or caller bugs) before it
// touches the database, and that the batch bounds of every purge are checked the same way.
import { purgeProcessedMessages } from './processed-messages';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  purgeExpiredIdempotencyKeys,
} from './idempotency-keys';
import { fingerprintRequest } from './request-fingerprint';
import type { SqlExecutor } from './sql-executor';

const untouchable: SqlExecutor = {
  $queryRawUnsafe: () => Promise.reject(new Error('the database must not be reached')),
  $executeRawUnsafe: () => Promise.reject(new Error('the database must not be reached')),
};

const valid = {
  clientId: 'demo-a',
  key: 'k-1',
  fingerprint: fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: {} }),
  now: new Date('2030-01-01T00:00:00Z'),
  lockTtlMs: 30_000,
  retentionMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS,
};

describe('idempotency keys: argument checks', () => {
  it.each([
    ['a retention under 24 h', { retentionMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS - 1 }],
    ['a lock TTL of zero', { lockTtlMs: 0 }],
    ['a lock TTL as long as the retention', { lockTtlMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS }],
    ['a fingerprint that is not sha256 hex', { fingerprint: 'abc' }],
    ['an empty key', { key: '' }],
    ['an invalid now', { now: new Date(Number.NaN) }],
  ])('claim refuses %s', async (_name, change) => {
    await expect(claimIdempotencyKey(untouchable, { ...valid, ...change })).rejects.toThrow(RangeError);
  });

  it('complete refuses a status that is not HTTP and a body that is not JSON', async () => {
    const ref = { clientId: 'demo-a', key: 'k-1', now: valid.now };
    await expect(completeIdempotencyKey(untouchable, { ...ref, status: 42, body: {} })).rejects.toThrow(
      RangeError,
    );
    await expect(
      completeIdempotencyKey(untouchable, { ...ref, status: 202, body: undefined }),
    ).rejects.toThrow(TypeError);
  });

  it.each([
    { batchSize: 0, maxBatches: 1 },
    { batchSize: 10, maxBatches: 0 },
    { batchSize: 1.5, maxBatches: 1 },
  ])('purges refuse the bounds %o', async (bounds) => {
    await expect(purgeExpiredIdempotencyKeys(untouchable, { ...bounds, now: valid.now })).rejects.toThrow(
      RangeError,
    );
    await expect(purgeProcessedMessages(untouchable, { ...bounds, olderThan: valid.now })).rejects.toThrow(
      RangeError,
    );
  });
});
