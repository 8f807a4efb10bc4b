// The HTTP idempotency-key store (Stripe-style) behind `Idempotency-Key` on the transfer API, over the
// transfer database's `idempotency_keys` table. The life of a key:
//   claim (own short statement, IN_FLIGHT) -> effect + complete (one transaction, COMPLETED) -> replays
//   claim -> failure without effect -> release (row deleted, the client may retry)
//   claim -> crash -> `locked_until` passes -> the same request claims it again
// Time is always passed in (`now`), so tests and callers decide it; comparisons happen in SQL.
import { z } from 'zod';
import { deleteInBatches, type BatchBounds } from './batched-delete';
import type { SqlExecutor } from './sql-executor';

/** The API contract keeps keys at least 24 hours; a shorter retention is a configuration bug. */
export const MIN_IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Each extra attempt needs another request to change the row in between; more than this is a bug. */
const MAX_CLAIM_ATTEMPTS = 4;

/**
 * `claimed`: the key is now this request's; do the work, then `completeIdempotencyKey` with the effect
 * (or `releaseIdempotencyKey` if the request fails without one).
 * `replay`: the same request already completed; answer its stored `status` and `body` again.
 * `fingerprint_mismatch`: the key was used for another request (HTTP 422).
 * `in_flight`: the same request is still running elsewhere (HTTP 409).
 */
export type ClaimResult =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; status: number; body: unknown }
  | { outcome: 'fingerprint_mismatch' }
  | { outcome: 'in_flight' };

export interface IdempotencyKeyRef {
  /** The authenticated client: keys of different clients never meet. */
  clientId: string;
  /** The `Idempotency-Key` header value. */
  key: string;
}

export interface ClaimIdempotencyKeyInput extends IdempotencyKeyRef {
  /** `fingerprintRequest(...)` of this request. */
  fingerprint: string;
  now: Date;
  /** How long an IN_FLIGHT claim is trusted; longer than the slowest request, including its transaction. */
  lockTtlMs: number;
  /** How long the key lives; at least `MIN_IDEMPOTENCY_KEY_RETENTION_MS`. */
  retentionMs: number;
}

/**
 * Claims the key for this request, or says why not. Pass a client, not a transaction: each statement
 * commits at once, so a concurrent request with the same key sees the claim and gets `in_flight`
 * instead of waiting for this request's transaction. An expired row counts as absent, and a stale
 * IN_FLIGHT row of the same request (its owner crashed) is taken over; both atomically in one UPDATE.
 * A different fingerprint wins over staleness: the key stays bound to its first request until it expires.
 */
export async function claimIdempotencyKey(
  db: SqlExecutor,
  input: ClaimIdempotencyKeyInput,
): Promise<ClaimResult> {
  assertClaimInput(input);
  const times = {
    now: input.now.toISOString(),
    lockedUntil: new Date(input.now.getTime() + input.lockTtlMs).toISOString(),
    expiresAt: new Date(input.now.getTime() + input.retentionMs).toISOString(),
  };
  for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
    if ((await insertClaim(db, input, times)) === 1) return { outcome: 'claimed' };
    const row = await readKey(db, input, times.now);
    // Purged between the two statements: insert again.
    if (row === undefined) continue;
    const verdict = judgeExistingKey(row, input.fingerprint);
    if (verdict !== 'take_over') return verdict;
    if ((await takeOverClaim(db, input, times)) === 1) return { outcome: 'claimed' };
    // Another request took it over, completed or purged it first: look again.
  }
  throw new Error(
    `idempotency key ${input.clientId}/${input.key}: still contended after ${MAX_CLAIM_ATTEMPTS} attempts`,
  );
}

/** Thrown when a request completes a key it no longer holds; its transaction must roll back. */
export class IdempotencyKeyNotHeldError extends Error {
  readonly retriable = false;
  constructor(readonly ref: IdempotencyKeyRef) {
    super(`idempotency key ${ref.clientId}/${ref.key} is not IN_FLIGHT: the claim was lost`);
    this.name = 'IdempotencyKeyNotHeldError';
  }
}

export interface CompleteIdempotencyKeyInput extends IdempotencyKeyRef {
  /** The HTTP status to replay. */
  status: number;
  /** The response body to replay (JSON). */
  body: unknown;
  now: Date;
}

/**
 * Stores the response, in the SAME transaction as the effect (the transfer and its outbox row), so
 * the key reads COMPLETED exactly when the effect exists. Throws `IdempotencyKeyNotHeldError` when
 * the row is missing or not IN_FLIGHT. That also settles a stale takeover: if two holders of one key
 * both reach here, the second waits on the first one's row lock, then finds COMPLETED and throws, so
 * only one effect commits.
 */
export async function completeIdempotencyKey(
  tx: SqlExecutor,
  input: CompleteIdempotencyKeyInput,
): Promise<void> {
  if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) {
    throw new RangeError(`not an HTTP status: ${input.status}`);
  }
  const bodyJson: unknown = JSON.stringify(input.body);
  if (typeof bodyJson !== 'string') throw new TypeError('the response body is not JSON-serializable');
  // locked_until becomes the completion time: nothing holds the key any more.
  const updated = await tx.$executeRawUnsafe(
    `UPDATE idempotency_keys
     SET status = 'COMPLETED', response_status = $3::int, response_body = $4::jsonb, locked_until = $5::timestamptz
     WHERE client_id = $1 AND key = $2 AND status = 'IN_FLIGHT'`,
    input.clientId,
    input.key,
    input.status,
    bodyJson,
    input.now.toISOString(),
  );
  if (updated !== 1) throw new IdempotencyKeyNotHeldError(input);
}

/** `released`: the claim is gone and the key is free. `not_held`: no IN_FLIGHT claim existed (nothing done). */
export type ReleaseOutcome = 'released' | 'not_held';

/**
 * Gives a key back when the request failed without an effect (e.g. validation after the claim, or the
 * effect's transaction rolled back), so the client may retry with the same key. A COMPLETED key is
 * never released.
 */
export async function releaseIdempotencyKey(
  db: SqlExecutor,
  ref: IdempotencyKeyRef,
): Promise<ReleaseOutcome> {
  const deleted = await db.$executeRawUnsafe(
    `DELETE FROM idempotency_keys WHERE client_id = $1 AND key = $2 AND status = 'IN_FLIGHT'`,
    ref.clientId,
    ref.key,
  );
  return deleted === 1 ? 'released' : 'not_held';
}

/** Deletes keys past `expires_at` in bounded batches and returns how many went. Pass a client. */
export async function purgeExpiredIdempotencyKeys(
  db: SqlExecutor,
  opts: BatchBounds & { now: Date },
): Promise<number> {
  return deleteInBatches(
    db,
    `DELETE FROM idempotency_keys WHERE (client_id, key) IN (
       SELECT client_id, key FROM idempotency_keys
       WHERE expires_at < $1::timestamptz
       ORDER BY expires_at
       LIMIT $2::int
       FOR UPDATE SKIP LOCKED)`,
    [opts.now.toISOString()],
    opts,
  );
}

interface ClaimTimes {
  now: string;
  lockedUntil: string;
  expiresAt: string;
}

function insertClaim(db: SqlExecutor, input: ClaimIdempotencyKeyInput, times: ClaimTimes): Promise<number> {
  return db.$executeRawUnsafe(
    `INSERT INTO idempotency_keys (client_id, key, request_fingerprint, status, locked_until, created_at, expires_at)
     VALUES ($1, $2, $3, 'IN_FLIGHT', $4::timestamptz, $5::timestamptz, $6::timestamptz)
     ON CONFLICT (client_id, key) DO NOTHING`,
    input.clientId,
    input.key,
    input.fingerprint,
    times.lockedUntil,
    times.now,
    times.expiresAt,
  );
}

/** The WHERE clause repeats `judgeExistingKey`'s take-over rule, so the row cannot change in between. */
function takeOverClaim(db: SqlExecutor, input: ClaimIdempotencyKeyInput, times: ClaimTimes): Promise<number> {
  return db.$executeRawUnsafe(
    `UPDATE idempotency_keys
     SET request_fingerprint = $3, status = 'IN_FLIGHT', response_status = NULL, response_body = NULL,
         locked_until = $4::timestamptz, created_at = $5::timestamptz, expires_at = $6::timestamptz
     WHERE client_id = $1 AND key = $2
       AND (expires_at < $5::timestamptz
            OR (status = 'IN_FLIGHT' AND locked_until < $5::timestamptz AND request_fingerprint = $3))`,
    input.clientId,
    input.key,
    input.fingerprint,
    times.lockedUntil,
    times.now,
    times.expiresAt,
  );
}

const keyRowSchema = z.object({
  request_fingerprint: z.string(),
  status: z.enum(['IN_FLIGHT', 'COMPLETED']),
  response_status: z.number().int().nullable(),
  /** jsonb read as text, so the stored JSON comes back exactly, whatever the client's JSON decoding. */
  response_body: z.string().nullable(),
  expired: z.boolean(),
  lock_stale: z.boolean(),
});
type KeyRow = z.infer<typeof keyRowSchema>;

async function readKey(db: SqlExecutor, ref: IdempotencyKeyRef, now: string): Promise<KeyRow | undefined> {
  const rows = await db.$queryRawUnsafe<unknown>(
    `SELECT request_fingerprint, status::text AS status, response_status, response_body::text AS response_body,
            expires_at < $3::timestamptz AS expired, locked_until < $3::timestamptz AS lock_stale
     FROM idempotency_keys WHERE client_id = $1 AND key = $2`,
    ref.clientId,
    ref.key,
    now,
  );
  // A decoding failure here means the table and this code disagree: a bug, so it throws.
  return z.array(keyRowSchema).max(1).parse(rows)[0];
}

/** The rules for a key that already exists, in priority order. */
function judgeExistingKey(row: KeyRow, fingerprint: string): ClaimResult | 'take_over' {
  if (row.expired) return 'take_over';
  if (row.request_fingerprint !== fingerprint) return { outcome: 'fingerprint_mismatch' };
  if (row.status === 'COMPLETED') {
    if (row.response_status === null || row.response_body === null) {
      throw new Error('a COMPLETED idempotency key has no stored response');
    }
    return { outcome: 'replay', status: row.response_status, body: JSON.parse(row.response_body) };
  }
  return row.lock_stale ? 'take_over' : { outcome: 'in_flight' };
}

function assertClaimInput(input: ClaimIdempotencyKeyInput): void {
  if (input.clientId === '' || input.key === '') throw new RangeError('clientId and key must not be empty');
  if (!/^[0-9a-f]{64}$/.test(input.fingerprint)) {
    throw new RangeError('fingerprint must be sha256 hex, as fingerprintRequest returns');
  }
  if (Number.isNaN(input.now.getTime())) throw new RangeError('now is an invalid Date');
  if (!Number.isSafeInteger(input.lockTtlMs) || input.lockTtlMs < 1) {
    throw new RangeError(`lockTtlMs must be a positive integer, got ${input.lockTtlMs}`);
  }
  if (!Number.isSafeInteger(input.retentionMs) || input.retentionMs < MIN_IDEMPOTENCY_KEY_RETENTION_MS) {
    throw new RangeError(
      `retentionMs must be at least ${MIN_IDEMPOTENCY_KEY_RETENTION_MS}, got ${input.retentionMs}`,
    );
  }
  // A claim that outlives its key would let an expired-key takeover race a request still running.
  if (input.lockTtlMs >= input.retentionMs)
    throw new RangeError('lockTtlMs must be shorter than retentionMs');
}
