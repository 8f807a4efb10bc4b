// The HTTP idempotency-key store (Stripe-style) behind `Idempotency-Key` on the transfer API, over the
// transfer database's `idempotency_keys` table. A key row is written only TOGETHER with its request's
// effect and the response to replay, in one statement (`insertIdempotencyKeySql` folded into the
// caller's own, for one key or a batch of them), so a key exists exactly when its effect does:
//   new key                 -> the effect and the key commit together -> the caller answers
//   key stored earlier      -> nothing is written; the same request replays the stored response,
//                              another request with the key is refused (422)
//   key written concurrently-> the unique index makes the second insert wait for the first one's
//                              commit, then it is a stored key like any other: a replay, never a 409
//   key past its retention  -> deleted, then used afresh
// No request ever holds a key on its own, so a crash leaves all or nothing and a retry never waits
// for a stale lock. Time is always passed in (`now`); comparisons happen in SQL.
import { z } from 'zod';
import { deleteExpired, type BatchBounds, type SqlExecutor } from '@oncepay/sql';

/**
 * The API contract keeps keys at least 24 hours. The service's configuration holds that floor
 * (retentionWindows in service-runtime): only a soak or a test may ask for less, and never with
 * NODE_ENV=production.
 */
export const MIN_IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Each extra attempt needs an expiry or a purge of the key in between; more than this is a bug. */
const MAX_ATTEMPTS = 4;

export interface IdempotencyKeyRef {
  /** The authenticated client: keys of different clients never meet. */
  clientId: string;
  /** The `Idempotency-Key` header value. */
  key: string;
}

/** A key as it is stored with its request's effect. */
export interface NewIdempotencyKey extends IdempotencyKeyRef {
  /** `fingerprintRequest(...)` of this request. */
  fingerprint: string;
  /** The HTTP status to replay. */
  status: number;
  /** The response body to replay (JSON). */
  body: unknown;
  now: Date;
  /** How long the key lives: `MIN_IDEMPOTENCY_KEY_RETENTION_MS` (less only in a soak or a test). */
  retentionMs: number;
}

/**
 * The keys' `INSERT`, to fold into the statement that writes the effects as a CTE: it returns
 * (client_id, key) for each key that is new and nothing for one stored already, so the effects' own
 * inserts select FROM it (joined on the key) and happen only for a new key. Reads its column arrays
 * from `$first` on, in `idempotencyKeyParams` order; one text whatever the number of keys, so one
 * prepared statement. The keys are inserted in (client_id, key) order, so two statements writing some
 * of the same keys wait for each other in one order and never deadlock. The keys of one statement
 * must differ: a second one would be "stored already" while its effect is written all the same.
 */
export function insertIdempotencyKeySql(first = 1): string {
  const p = (i: number) => `$${first + i}`;
  return `INSERT INTO idempotency_keys
            (client_id, key, request_fingerprint, response_status, response_body, created_at, expires_at)
          SELECT * FROM unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::int[], ${p(4)}::json[],
                               ${p(5)}::timestamptz[], ${p(6)}::timestamptz[])
                   AS k (client_id, key, request_fingerprint, response_status, response_body, created_at, expires_at)
           ORDER BY k.client_id, k.key
          ON CONFLICT (client_id, key) DO NOTHING
          RETURNING client_id, key`;
}

/** The column arrays `insertIdempotencyKeySql` reads, for `keys` (validated, each a different key). */
export function idempotencyKeyParams(keys: readonly NewIdempotencyKey[]): unknown[] {
  const rows = keys.map((key) => {
    assertNewKey(key);
    const body: unknown = JSON.stringify(key.body);
    if (typeof body !== 'string') throw new TypeError('the response body is not JSON-serializable');
    return { ...key, body, expiresAt: new Date(key.now.getTime() + key.retentionMs) };
  });
  const distinct = new Set(rows.map((row) => JSON.stringify([row.clientId, row.key])));
  if (distinct.size !== rows.length) throw new RangeError('the same idempotency key twice in one statement');
  return [
    rows.map((row) => row.clientId),
    rows.map((row) => row.key),
    rows.map((row) => row.fingerprint),
    rows.map((row) => row.status),
    rows.map((row) => row.body),
    rows.map((row) => row.now.toISOString()),
    rows.map((row) => row.expiresAt.toISOString()),
  ];
}

/**
 * `created`: the effect and the key were written just now.
 * `replay`: the same request was stored before; answer its `status` and `body` again.
 * `fingerprint_mismatch`: the key was used for another request (HTTP 422).
 */
export type KeyedWriteResult =
  | { outcome: 'created' }
  | { outcome: 'replay'; status: number; body: unknown }
  | { outcome: 'fingerprint_mismatch' };

/**
 * Runs `writeWithKey` (ONE statement writing the effect and the key through `insertIdempotencyKeySql`,
 * resolving whether the key was new) and, when the key was stored already, says what to answer. An
 * expired key counts as absent: it is deleted and the write tried again. A different fingerprint wins:
 * the key stays bound to its first request until it expires.
 */
export async function writeOnceForKey(
  db: SqlExecutor,
  key: NewIdempotencyKey,
  writeWithKey: () => Promise<boolean>,
): Promise<KeyedWriteResult> {
  assertNewKey(key);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (await writeWithKey()) return { outcome: 'created' };
    const stored = await answerForStoredKey(db, key);
    // Purged between the two statements, or expired (and deleted): write again.
    if (stored.outcome === 'absent') continue;
    return stored;
  }
  throw new Error(
    `idempotency key ${key.clientId}/${key.key}: still contended after ${MAX_ATTEMPTS} attempts`,
  );
}

/** What a key stored earlier answers for a request: `absent` when there is none (or it had expired). */
export type StoredKeyAnswer = Exclude<KeyedWriteResult, { outcome: 'created' }> | { outcome: 'absent' };

/**
 * What the key stored for `key` answers: the stored response when `key.fingerprint` is the request it was
 * stored for, a mismatch when it is another, `absent` when no key is stored. An expired key is deleted
 * and counts as absent. For an effect decided inside a transaction that may refuse it (a hold's capture,
 * a refund: a refused step stores no key), run it in that transaction after whatever serializes the
 * request (its row lock), then write the key with `insertIdempotencyKey` only once the effect is
 * decided: a replay is answered before the request is decided again.
 */
export async function answerForStoredKey(
  db: SqlExecutor,
  key: IdempotencyKeyRef & { fingerprint: string; now: Date },
): Promise<StoredKeyAnswer> {
  const row = await readKey(db, key, key.now);
  if (row === undefined) return { outcome: 'absent' };
  if (row.expired) {
    await deleteExpiredKey(db, key, key.now);
    return { outcome: 'absent' };
  }
  if (row.request_fingerprint !== key.fingerprint) return { outcome: 'fingerprint_mismatch' };
  return { outcome: 'replay', status: row.response_status, body: JSON.parse(row.response_body) };
}

/**
 * Stores `key` with the response to replay, in the caller's transaction, unless a key is stored already
 * (ON CONFLICT DO NOTHING: a concurrent insert of the same key is waited for). Resolves whether it was
 * stored; when not, `answerForStoredKey` in the same transaction (READ COMMITTED) sees the other one.
 */
export async function insertIdempotencyKey(tx: SqlExecutor, key: NewIdempotencyKey): Promise<boolean> {
  const rows = await tx.query<unknown[]>(insertIdempotencyKeySql(), ...idempotencyKeyParams([key]));
  return rows.length === 1;
}

/** Deletes keys past `expires_at` in bounded batches and returns how many went. Pass a client. */
export async function purgeExpiredIdempotencyKeys(
  db: SqlExecutor,
  opts: BatchBounds & { now: Date },
): Promise<number> {
  return deleteExpired(
    db,
    { name: 'idempotency_keys', key: ['client_id', 'key'], timeColumn: 'expires_at' },
    opts.now,
    opts,
  );
}

const keyRowSchema = z.object({
  request_fingerprint: z.string(),
  response_status: z.number().int(),
  /** json (which keeps the text as written) read as text: the stored response comes back byte for byte. */
  response_body: z.string(),
  expired: z.boolean(),
});
type KeyRow = z.infer<typeof keyRowSchema>;

async function readKey(db: SqlExecutor, ref: IdempotencyKeyRef, now: Date): Promise<KeyRow | undefined> {
  const rows = await db.query<unknown>(
    `SELECT request_fingerprint, response_status, response_body::text AS response_body,
            expires_at < $3::timestamptz AS expired
     FROM idempotency_keys WHERE client_id = $1 AND key = $2`,
    ref.clientId,
    ref.key,
    now.toISOString(),
  );
  // A decoding failure here means the table and this code disagree: a bug, so it throws.
  return z.array(keyRowSchema).max(1).parse(rows)[0];
}

/** Deletes the key only if it is still expired: a concurrent request may have replaced it meanwhile. */
async function deleteExpiredKey(db: SqlExecutor, ref: IdempotencyKeyRef, now: Date): Promise<void> {
  await db.execute(
    `DELETE FROM idempotency_keys WHERE client_id = $1 AND key = $2 AND expires_at < $3::timestamptz`,
    ref.clientId,
    ref.key,
    now.toISOString(),
  );
}

function assertNewKey(key: NewIdempotencyKey): void {
  if (key.clientId === '' || key.key === '') throw new RangeError('clientId and key must not be empty');
  if (!/^[0-9a-f]{64}$/.test(key.fingerprint)) {
    throw new RangeError('fingerprint must be sha256 hex, as fingerprintRequest returns');
  }
  if (!Number.isInteger(key.status) || key.status < 100 || key.status > 599) {
    throw new RangeError(`not an HTTP status: ${key.status}`);
  }
  if (Number.isNaN(key.now.getTime())) throw new RangeError('now is an invalid Date');
  if (!Number.isSafeInteger(key.retentionMs) || key.retentionMs < 1) {
    throw new RangeError(`retentionMs must be a positive integer, got ${key.retentionMs}`);
  }
}
