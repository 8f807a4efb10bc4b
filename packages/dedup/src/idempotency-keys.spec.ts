// Proves the idempotency-key store refuses bad arguments (configuration or caller bugs) before it
// touches the database, and that the batch bounds of every purge are checked the same way.
import { purgeProcessedMessages } from './processed-messages';
import {
  idempotencyKeyParams,
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  purgeExpiredIdempotencyKeys,
  writeOnceForKey,
} from './idempotency-keys';
import { fingerprintRequest } from './request-fingerprint';
import type { SqlExecutor } from '@oncepay/sql';

const untouchable: SqlExecutor = {
  query: () => Promise.reject(new Error('the database must not be reached')),
  execute: () => Promise.reject(new Error('the database must not be reached')),
};

const valid = {
  clientId: 'demo-a',
  key: 'k-1',
  fingerprint: fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: {} }),
  status: 202,
  body: { id: 't-1' },
  now: new Date('2030-01-01T00:00:00Z'),
  retentionMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS,
};

describe('idempotency keys: argument checks', () => {
  it.each([
    ['a retention of zero', { retentionMs: 0 }],
    ['a retention of a fraction of a ms', { retentionMs: 0.5 }],
    ['a fingerprint that is not sha256 hex', { fingerprint: 'abc' }],
    ['an empty key', { key: '' }],
    ['an invalid now', { now: new Date(Number.NaN) }],
    ['a status that is not HTTP', { status: 42 }],
  ])('refuses %s before writing anything', async (_name, change) => {
    const key = { ...valid, ...change };
    const write = jest.fn(() => Promise.resolve(true));
    await expect(writeOnceForKey(untouchable, key, write)).rejects.toThrow(RangeError);
    expect(write).not.toHaveBeenCalled();
    expect(() => idempotencyKeyParams([valid, key])).toThrow(RangeError);
  });

  it('refuses a response body that is not JSON', () => {
    expect(() => idempotencyKeyParams([{ ...valid, body: undefined }])).toThrow(TypeError);
  });

  it('refuses the same key twice in one statement, and takes the same key of two clients', () => {
    expect(() => idempotencyKeyParams([valid, { ...valid }])).toThrow(RangeError);
    expect(idempotencyKeyParams([valid, { ...valid, clientId: 'demo-b' }])[0]).toEqual(['demo-a', 'demo-b']);
  });

  it.each([
    { batchSize: 0, maxBatches: 1 },
    { batchSize: 10, maxBatches: 0 },
    { batchSize: 1.5, maxBatches: 1 },
    { batchSize: 10, maxBatches: 1, budgetMs: -1 },
    { batchSize: 10, maxBatches: 1, budgetMs: Number.NaN },
  ])('purges refuse the bounds %o', async (bounds) => {
    await expect(purgeExpiredIdempotencyKeys(untouchable, { ...bounds, now: valid.now })).rejects.toThrow(
      RangeError,
    );
    await expect(purgeProcessedMessages(untouchable, { ...bounds, olderThan: valid.now })).rejects.toThrow(
      RangeError,
    );
  });
});
