// The three kinds of rows retention deletes, each with a seed of expired rows (behind rows still inside
// the window, oldest first, as a table looks after the job fell behind) and the purge the retention
// job runs on it: shared by `npm run bench:retention` (capacity) and purge-pressure.ts (the hot path).
import { purgeExpiredIdempotencyKeys, purgeProcessedMessages } from '@oncepay/dedup';
import { purgeSentOutboxMessages } from '@oncepay/messaging';
import type { BatchBounds, SqlExecutor } from '@oncepay/sql';

export interface ExpiringKind {
  table: string;
  /** Inserts `expired` rows past the window, then `kept` inside it, oldest first. */
  seed(db: SqlExecutor, expired: number, kept: number): Promise<number>;
  /** The retention job's purge as of `now` (the seeds' time by default). */
  purge(db: SqlExecutor, bounds: BatchBounds, now?: Date): Promise<number>;
}

/** The purges' "now": every seed is relative to it. */
const NOW = new Date();
const DAY_MS = 86_400_000;

export const EXPIRING_KINDS: ExpiringKind[] = [
  {
    table: 'processed_messages',
    seed: (db, expired, kept) =>
      db.execute(
        `INSERT INTO processed_messages (consumer, message_id, processed_at)
              SELECT 'transfer-service', gen_random_uuid(),
                     $3::timestamptz - make_interval(days => CASE WHEN i <= $1::int THEN 31 ELSE 29 END)
              FROM generate_series(1, $1::int + $2::int) AS i`,
        expired,
        kept,
        NOW.toISOString(),
      ),
    purge: (db, bounds, now = NOW) =>
      purgeProcessedMessages(db, { olderThan: new Date(now.getTime() - 30 * DAY_MS), ...bounds }),
  },
  {
    table: 'outbox_messages',
    // An envelope of the size the services write (about 700 bytes of JSON), at positions before any
    // the sequence hands out: the relay marks rows SENT in position order, so in a live table too the
    // expired rows come first.
    seed: (db, expired, kept) =>
      db.execute(
        `INSERT INTO outbox_messages (position, id, topic, key, value, status, created_at, sent_at)
              SELECT i - $1::int - $2::int - 1, gen_random_uuid(), 'oncepay.transfer-requests', gen_random_uuid()::text, repeat('x', 700),
                     'SENT', $3::timestamptz - interval '10 days',
                     $3::timestamptz - make_interval(days => CASE WHEN i <= $1::int THEN 8 ELSE 6 END)
              FROM generate_series(1, $1::int + $2::int) AS i ORDER BY i`,
        expired,
        kept,
        NOW.toISOString(),
      ),
    purge: (db, bounds, now = NOW) =>
      purgeSentOutboxMessages(db, { olderThan: new Date(now.getTime() - 7 * DAY_MS), ...bounds }),
  },
  {
    table: 'idempotency_keys',
    seed: (db, expired, kept) =>
      db.execute(
        `INSERT INTO idempotency_keys
                (client_id, key, request_fingerprint, response_status, response_body, created_at, expires_at)
              SELECT 'ops', gen_random_uuid()::text, repeat('f', 64), 202, json_build_object('id', gen_random_uuid(), 'pad', repeat('x', 300)),
                     $3::timestamptz - interval '2 days',
                     $3::timestamptz + make_interval(days => CASE WHEN i <= $1::int THEN -1 ELSE 1 END)
              FROM generate_series(1, $1::int + $2::int) AS i`,
        expired,
        kept,
        NOW.toISOString(),
      ),
    purge: (db, bounds, now = NOW) => purgeExpiredIdempotencyKeys(db, { now, ...bounds }),
  },
];
