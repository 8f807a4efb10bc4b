// Fills fresh, migrated transfer, ledger and notification databases with `transfers` generated
// transfers that agree across the three, entirely in SQL (generate_series), so a million take a minute
// rather than an hour through the API. What it writes is what the services would have:
// - accounts: a treasury (allowed below zero) and up to 1,000 customer accounts, in EUR;
// - transfers by their number i: 80% from the treasury to a customer, COMPLETED but for one in 12.5%
//   that is a hold (i % 50 of 1, 3, 5, 7: CAPTURED for half its amount plus one, VOIDED, still HELD
//   with a day to go, EXPIRED an hour ago), 10% FAILED (INSUFFICIENT_FUNDS, between two customers), 10%
//   PENDING (accepted a moment ago); settled ones two hours ago;
// - a refund of half plus one of every 50th payment (i % 50 = 2), from its customer back to the
//   treasury, COMPLETED: 2% more transfers;
// - a DEBIT and a CREDIT per COMPLETED transfer and per capture, and every balance set to its journal's
//   sum; the ledger's hold of each hold, and the treasury's held_minor the sum of the ACTIVE ones;
// - the ledger's decision per terminal or placed transfer (HELD for a hold), and for every other
//   PENDING one a REJECTED decision made a moment ago (its answer in flight);
// - one notification per terminal transfer, of its final status.
// Ids are md5 of the transfer's number: the same in the three databases, scattered like random UUIDs;
// instants derive from one `now` passed to the three, so a hold's expiry is the same in each.
//
// With `settled` (the benchmark's --prefill, scripts/bench/prefill.ts), it writes history instead: no
// PENDING transfer (those are COMPLETED) and no hold still HELD (those are VOIDED), and the transfers
// spread evenly over `historySeconds` ending two hours before `now`, oldest first.
//
// With `plant`, it adds one fault for each check of the auditor's database checks, each found exactly
// once (PLANTED names them): what proves that the paged checks still find a needle at scale.
//
// It writes as the superuser: the journal's and decisions' triggers refuse UPDATE and DELETE, not INSERT.
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { CHECK_NAMES } from '../../../apps/auditor/src/checks';

export interface AuditDatabaseUrls {
  transfer: string;
  ledger: string;
  notification: string;
}

export interface FillOptions {
  transfers: number;
  plant: boolean;
  /** Every transfer terminal: history for the benchmark to run on, audited with no grace. */
  settled?: boolean;
  /** How long the transfers are spread over, ending two hours before `now` (0: all at that instant). */
  historySeconds?: number;
}

const MAX_CUSTOMER_ACCOUNTS = 1_000;

/** The ids of the faults `plant` adds, and what the auditor must say about each. */
export const PLANTED = {
  /** transfers-settle: PENDING for two days. */
  stuckTransfer: '5a1e5a1e-0000-4000-8000-000000000001',
  /** postings-match-transfers: a balanced DEBIT and CREDIT of a transfer nobody requested. */
  orphanPostingTransfer: '7a1e5a1e-0000-4000-8000-000000000002',
  /** decisions-match-transfers: a decision of a transfer nobody requested; sorts before every md5 id. */
  orphanDecisionTransfer: '00000000-0000-4000-8000-000000000003',
  /** notifications-match-outcomes: a notification of a transfer nobody requested; sorts after every id. */
  orphanNotificationTransfer: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
  /** balances-match-journal and balances-sum-to-zero: this customer's balance is one cent above its journal. */
  driftedAccountNumber: 1,
  /** holds-within-balances: the treasury holds one cent more than its ACTIVE holds. */
  overHeldAccountNumber: 0,
  /** holds-end: a hold still HELD (and ACTIVE in the ledger) two days after its expiry. */
  forgottenHold: '5a1e5a1e-0000-4000-8000-000000000004',
} as const;

/** The checks a planted fault is meant for: each must report exactly one violation, every other none. */
export const PLANTED_CHECKS: readonly string[] = [
  CHECK_NAMES.transfersSettle,
  CHECK_NAMES.balancesSumToZero,
  CHECK_NAMES.postingsMatchTransfers,
  CHECK_NAMES.decisionsMatchTransfers,
  CHECK_NAMES.balancesMatchJournal,
  CHECK_NAMES.notificationsMatchOutcomes,
  CHECK_NAMES.holdsWithinBalances,
  CHECK_NAMES.holdsEnd,
];

/** The id of account `n` (0 is the treasury), as the SQL below computes it. */
export function accountIdOf(n: number): string {
  return md5Uuid(`oncepay-audit-account-${n}`);
}

/** PostgreSQL's `md5(text)::uuid`, for naming a generated row. */
function md5Uuid(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Returns the parameters every statement was given, for more rows about the same transfers (prefill.ts). */
export async function fillAuditDatabases(urls: AuditDatabaseUrls, options: FillOptions): Promise<FillParams> {
  const n = options.transfers;
  const customers = Math.max(2, Math.min(MAX_CUSTOMER_ACCOUNTS, Math.floor(n / 100)));
  // Shared by the three statements so the databases agree: the transfer's number i gives everything.
  const params: FillParams = [
    n,
    customers,
    new Date(),
    options.historySeconds ?? 0,
    options.settled ?? false,
  ];
  await Promise.all([
    withClient(urls.transfer, (db) => fillTransfers(db, params, options.plant)),
    withClient(urls.ledger, (db) => fillLedger(db, params, options.plant)),
    withClient(urls.notification, (db) => fillNotifications(db, params, options.plant)),
  ]);
  return params;
}

// The columns every statement derives from i ($1 transfers, $2 customer accounts, $3 the fill's now,
// $4 the seconds of history they spread over, $5 settled: no PENDING or HELD).
export const TRANSFER_OF_I = `
  SELECT i, id, status, from_account_id, to_account_id, amount_minor, created_at,
         CASE status WHEN 'EXPIRED' THEN created_at + interval '1 hour'
                     ELSE created_at + interval '1 day' END AS hold_expires_at,
         CASE status WHEN 'CAPTURED' THEN amount_minor / 2 + 1 END AS capture_amount_minor,
         CASE status WHEN 'CAPTURED' THEN amount_minor / 2 + 1 ELSE amount_minor END AS posted_minor
    FROM (SELECT i,
                 md5('oncepay-audit-transfer-' || i)::uuid AS id,
                 CASE WHEN i % 50 = 1 THEN 'CAPTURED' WHEN i % 50 = 3 THEN 'VOIDED'
                      WHEN i % 50 = 5 THEN CASE WHEN $5::boolean THEN 'VOIDED' ELSE 'HELD' END
                      WHEN i % 50 = 7 THEN 'EXPIRED'
                      WHEN i % 10 < 8 THEN 'COMPLETED' WHEN i % 10 = 8 THEN 'FAILED'
                      WHEN $5::boolean THEN 'COMPLETED' ELSE 'PENDING' END AS status,
                 CASE WHEN i % 10 = 8 THEN md5('oncepay-audit-account-' || (i % $2 + 1))::uuid
                      ELSE md5('oncepay-audit-account-0')::uuid END AS from_account_id,
                 CASE WHEN i % 10 = 8 THEN md5('oncepay-audit-account-' || ((i + 1) % $2 + 1))::uuid
                      ELSE md5('oncepay-audit-account-' || (i % $2 + 1))::uuid END AS to_account_id,
                 (i % 9973 + 1)::bigint AS amount_minor,
                 CASE WHEN i % 10 = 9 AND NOT $5::boolean THEN $3::timestamptz - interval '1 second'
                      ELSE $3::timestamptz - interval '2 hours'
                           - make_interval(secs => $4::float8 * ($1::int - i) / $1::int) END AS created_at
            FROM generate_series(1, $1::int) AS i) t`;

/** The hold statuses TRANSFER_OF_I gives (the rest are payments). */
const HOLD_STATUSES = `('CAPTURED', 'VOIDED', 'HELD', 'EXPIRED')`;

// The refunds: one of every 50th payment (COMPLETED), of half its amount plus one, from its customer
// back to the treasury, an hour after it.
export const REFUND_OF_I = `
  SELECT i, md5('oncepay-audit-refund-' || i)::uuid AS id, id AS refund_of, to_account_id AS from_account_id,
         from_account_id AS to_account_id, amount_minor / 2 + 1 AS amount_minor,
         created_at + interval '1 hour' AS created_at
    FROM (${TRANSFER_OF_I}) p
   WHERE i % 50 = 2`;

export type FillParams = [
  transfers: number,
  customers: number,
  now: Date,
  historySeconds: number,
  settled: boolean,
];

async function fillTransfers(db: Client, params: FillParams, plant: boolean): Promise<void> {
  await db.query(
    `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                            failure_reason, version, last_event_id, correlation_id, created_at, updated_at,
                            hold_expires_at, capture_amount_minor)
     SELECT id, 'audit-bench', from_account_id, to_account_id, amount_minor, 'EUR', status::transfer_status,
            CASE status WHEN 'FAILED' THEN 'INSUFFICIENT_FUNDS' END,
            CASE WHEN status = 'PENDING' THEN 1 WHEN status = 'HELD' THEN 2 WHEN status IN ${HOLD_STATUSES} THEN 5 ELSE 3 END,
            md5('oncepay-audit-event-' || i)::uuid, 'audit-bench-' || i, created_at,
            CASE status WHEN 'PENDING' THEN created_at ELSE created_at + interval '1 second' END,
            CASE WHEN status IN ${HOLD_STATUSES} THEN hold_expires_at END, capture_amount_minor
       FROM (${TRANSFER_OF_I}) t`,
    params,
  );
  // After their payments: a refund names its payment (a foreign key).
  await db.query(
    `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                            version, last_event_id, correlation_id, created_at, updated_at, refund_of)
     SELECT id, 'audit-bench', from_account_id, to_account_id, amount_minor, 'EUR', 'COMPLETED', 3,
            md5('oncepay-audit-refund-event-' || i)::uuid, 'audit-bench-refund-' || i, created_at,
            created_at + interval '1 second', refund_of
       FROM (${REFUND_OF_I}) r`,
    params,
  );
  if (plant) {
    await db.query(
      `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                              version, last_event_id, correlation_id, created_at, updated_at)
       VALUES ($1::uuid, 'audit-bench', md5('oncepay-audit-account-0')::uuid, md5('oncepay-audit-account-1')::uuid,
               100, 'EUR', 'PENDING', 1, md5('oncepay-audit-planted-stuck')::uuid, 'audit-bench-stuck',
               now() - interval '2 days', now() - interval '2 days')`,
      [PLANTED.stuckTransfer],
    );
    await db.query(
      `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                              version, last_event_id, correlation_id, created_at, updated_at, hold_expires_at)
       VALUES ($1::uuid, 'audit-bench', md5('oncepay-audit-account-0')::uuid, md5('oncepay-audit-account-1')::uuid,
               100, 'EUR', 'HELD', 2, md5('oncepay-audit-planted-forgotten')::uuid, 'audit-bench-forgotten',
               $2::timestamptz - interval '3 days', $2::timestamptz - interval '3 days', $2::timestamptz - interval '2 days')`,
      [PLANTED.forgottenHold, params[2]],
    );
  }
  await db.query('ANALYZE transfers');
}

async function fillLedger(db: Client, params: FillParams, plant: boolean): Promise<void> {
  await db.query(
    `INSERT INTO accounts (id, owner_client_id, currency, balance_minor, allow_negative_balance)
     SELECT md5('oncepay-audit-account-' || a)::uuid, 'audit-bench', 'EUR', 0, a = 0
       FROM generate_series(0, $1::int) AS a`,
    [params[1]],
  );
  // Payments and captures, then refunds, each a DEBIT and a CREDIT.
  const pair = (source: string, amount: string, posted: string) => `
     INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at)
     SELECT t.id, CASE d.direction WHEN 'DEBIT' THEN t.from_account_id ELSE t.to_account_id END,
            d.direction::entry_direction, ${amount}, 'EUR', t.created_at + interval '500 milliseconds'
       FROM (${source}) t CROSS JOIN (VALUES ('DEBIT'), ('CREDIT')) AS d(direction)
      WHERE ${posted}
      ORDER BY t.i, d.direction`;
  await db.query(pair(TRANSFER_OF_I, 't.posted_minor', `t.status IN ('COMPLETED', 'CAPTURED')`), params);
  await db.query(pair(REFUND_OF_I, 't.amount_minor', 'true'), params);
  await db.query(
    `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
     SELECT id, CASE WHEN status = 'COMPLETED' THEN 'POSTED' WHEN status IN ${HOLD_STATUSES} THEN 'HELD'
                     ELSE 'REJECTED' END::ledger_outcome,
            CASE WHEN status IN ('FAILED', 'PENDING') THEN 'INSUFFICIENT_FUNDS' END,
            CASE status WHEN 'PENDING' THEN now() ELSE created_at + interval '500 milliseconds' END
       FROM (${TRANSFER_OF_I}) t
      WHERE status <> 'PENDING' OR i % 20 = 19`,
    params,
  );
  await db.query(
    `INSERT INTO ledger_decisions (transfer_id, outcome, decided_at, refund_of)
     SELECT id, 'POSTED', created_at + interval '500 milliseconds', refund_of FROM (${REFUND_OF_I}) r`,
    params,
  );
  await db.query(
    `INSERT INTO holds (transfer_id, account_id, to_account_id, amount_minor, currency, status, expires_at,
                        captured_minor, release, placed_at, settled_at)
     SELECT id, from_account_id, to_account_id, amount_minor, 'EUR',
            CASE status WHEN 'CAPTURED' THEN 'CAPTURED' WHEN 'HELD' THEN 'ACTIVE' ELSE 'RELEASED' END::hold_status,
            hold_expires_at, capture_amount_minor,
            CASE status WHEN 'VOIDED' THEN 'VOID' WHEN 'EXPIRED' THEN 'EXPIRY' END::hold_release,
            created_at + interval '500 milliseconds',
            CASE WHEN status <> 'HELD' THEN created_at + interval '1 hour' END
       FROM (${TRANSFER_OF_I}) t
      WHERE status IN ${HOLD_STATUSES}`,
    params,
  );
  if (plant) {
    await db.query(
      `INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at)
       VALUES ($1::uuid, md5('oncepay-audit-account-0')::uuid, 'DEBIT', 100, 'EUR', now()),
              ($1::uuid, md5('oncepay-audit-account-2')::uuid, 'CREDIT', 100, 'EUR', now())`,
      [PLANTED.orphanPostingTransfer],
    );
    await db.query(
      `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
       VALUES ($1::uuid, 'REJECTED', 'ACCOUNT_NOT_FOUND', now())`,
      [PLANTED.orphanDecisionTransfer],
    );
    await db.query(
      `INSERT INTO ledger_decisions (transfer_id, outcome, decided_at)
       VALUES ($1::uuid, 'HELD', $2::timestamptz - interval '3 days')`,
      [PLANTED.forgottenHold, params[2]],
    );
    await db.query(
      `INSERT INTO holds (transfer_id, account_id, to_account_id, amount_minor, currency, expires_at, placed_at)
       VALUES ($1::uuid, md5('oncepay-audit-account-0')::uuid, md5('oncepay-audit-account-1')::uuid, 100, 'EUR',
               $2::timestamptz - interval '2 days', $2::timestamptz - interval '3 days')`,
      [PLANTED.forgottenHold, params[2]],
    );
  }
  // Every balance is its journal's sum (the planted orphan posting included: it balances)...
  await db.query(
    `UPDATE accounts a SET balance_minor = j.sum
       FROM (SELECT account_id,
                    SUM(CASE direction WHEN 'CREDIT' THEN amount_minor ELSE -amount_minor END)::bigint AS sum
               FROM journal_entries GROUP BY account_id) j
      WHERE a.id = j.account_id`,
  );
  // ...and every held amount its ACTIVE holds' sum (the treasury's; the planted forgotten one's too)...
  await db.query(
    `UPDATE accounts a SET held_minor = h.sum
       FROM (SELECT account_id, SUM(amount_minor)::bigint AS sum FROM holds WHERE status = 'ACTIVE' GROUP BY account_id) h
      WHERE a.id = h.account_id`,
  );
  // ...but the treasury's, when planting: a cent held that no hold explains.
  if (plant)
    await db.query(
      `UPDATE accounts SET held_minor = held_minor + 1 WHERE id = md5('oncepay-audit-account-' || $1)::uuid`,
      [PLANTED.overHeldAccountNumber],
    );
  // ...but one, when planting: a cent the journal does not explain, which the sum over balances shows too.
  if (plant)
    await db.query(
      `UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = md5('oncepay-audit-account-' || $1)::uuid`,
      [PLANTED.driftedAccountNumber],
    );
  await db.query('ANALYZE accounts, journal_entries, ledger_decisions, holds');
}

async function fillNotifications(db: Client, params: FillParams, plant: boolean): Promise<void> {
  // A hold's final words; the notification-service's own migration adds them with its webhooks (#17),
  // after which this is a no-op.
  for (const outcome of ['CAPTURED', 'VOIDED', 'EXPIRED'])
    await db.query(`ALTER TYPE transfer_outcome ADD VALUE IF NOT EXISTS '${outcome}'`);
  await db.query(
    `INSERT INTO notifications (id, transfer_id, client_id, outcome, failure_reason, event_id, payload, status,
                                attempts, next_attempt_at, created_at, delivered_at)
     SELECT md5('oncepay-audit-notification-' || i)::uuid, id, 'audit-bench', status::transfer_outcome,
            CASE status WHEN 'FAILED' THEN 'INSUFFICIENT_FUNDS' END,
            md5('oncepay-audit-outcome-' || i)::uuid, '{}'::jsonb, 'DELIVERED', 1,
            created_at + interval '2 seconds', created_at + interval '2 seconds', created_at + interval '3 seconds'
       FROM (${TRANSFER_OF_I}) t
      WHERE status NOT IN ('PENDING', 'HELD')`,
    params,
  );
  await db.query(
    `INSERT INTO notifications (id, transfer_id, client_id, outcome, event_id, payload, status, attempts,
                                next_attempt_at, created_at, delivered_at)
     SELECT md5('oncepay-audit-refund-notification-' || i)::uuid, id, 'audit-bench', 'COMPLETED',
            md5('oncepay-audit-refund-outcome-' || i)::uuid, '{}'::jsonb, 'DELIVERED', 1,
            created_at + interval '2 seconds', created_at + interval '2 seconds', created_at + interval '3 seconds'
       FROM (${REFUND_OF_I}) r`,
    params,
  );
  if (plant)
    await db.query(
      `INSERT INTO notifications (id, transfer_id, client_id, outcome, event_id, payload)
       VALUES (md5('oncepay-audit-planted-notification')::uuid, $1::uuid, 'audit-bench', 'COMPLETED',
               md5('oncepay-audit-planted-outcome')::uuid, '{}'::jsonb)`,
      [PLANTED.orphanNotificationTransfer],
    );
  await db.query('ANALYZE notifications');
}

export async function withClient(url: string, work: (db: Client) => Promise<void>): Promise<void> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    // A bulk load of generated rows: losing the last of them in a crash only means filling again.
    await db.query('SET synchronous_commit = off');
    await work(db);
  } finally {
    await db.end();
  }
}
