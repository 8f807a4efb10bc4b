// Fills fresh, migrated transfer, ledger and notification databases with `transfers` generated
// transfers that agree across the three, entirely in SQL (generate_series), so a million take a minute
// rather than an hour through the API. What it writes is what the services would have:
// - accounts: a treasury (allowed below zero) and up to 1,000 customer accounts, in EUR;
// - transfers by their number i: 80% COMPLETED (treasury to a customer), 10% FAILED (INSUFFICIENT_FUNDS,
//   between two customers), 10% PENDING (accepted a moment ago); settled ones two hours ago;
// - a DEBIT and a CREDIT per COMPLETED transfer, and every balance set to its journal's sum;
// - the ledger's decision per terminal transfer, and for every other PENDING one a REJECTED decision
//   made a moment ago (its answer in flight);
// - one notification per terminal transfer, of its outcome.
// Ids are md5 of the transfer's number: the same in the three databases, scattered like random UUIDs.
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
} as const;

/** The checks a planted fault is meant for: each must report exactly one violation, every other none. */
export const PLANTED_CHECKS: readonly string[] = [
  CHECK_NAMES.transfersSettle,
  CHECK_NAMES.balancesSumToZero,
  CHECK_NAMES.postingsMatchTransfers,
  CHECK_NAMES.decisionsMatchTransfers,
  CHECK_NAMES.balancesMatchJournal,
  CHECK_NAMES.notificationsMatchOutcomes,
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

export async function fillAuditDatabases(urls: AuditDatabaseUrls, options: FillOptions): Promise<void> {
  const n = options.transfers;
  const customers = Math.max(2, Math.min(MAX_CUSTOMER_ACCOUNTS, Math.floor(n / 100)));
  // Shared by the three statements so the databases agree: the transfer's number i gives everything.
  const params = [n, customers];
  await Promise.all([
    withClient(urls.transfer, (db) => fillTransfers(db, params, options.plant)),
    withClient(urls.ledger, (db) => fillLedger(db, params, options.plant)),
    withClient(urls.notification, (db) => fillNotifications(db, params, options.plant)),
  ]);
}

// The columns every statement derives from i ($1 transfers, $2 customer accounts).
const TRANSFER_OF_I = `
  SELECT i,
         md5('oncepay-audit-transfer-' || i)::uuid AS id,
         CASE WHEN i % 10 < 8 THEN 'COMPLETED' WHEN i % 10 = 8 THEN 'FAILED' ELSE 'PENDING' END AS status,
         CASE WHEN i % 10 = 8 THEN md5('oncepay-audit-account-' || (i % $2 + 1))::uuid
              ELSE md5('oncepay-audit-account-0')::uuid END AS from_account_id,
         CASE WHEN i % 10 = 8 THEN md5('oncepay-audit-account-' || ((i + 1) % $2 + 1))::uuid
              ELSE md5('oncepay-audit-account-' || (i % $2 + 1))::uuid END AS to_account_id,
         (i % 9973 + 1)::bigint AS amount_minor,
         CASE WHEN i % 10 = 9 THEN now() - interval '1 second' ELSE now() - interval '2 hours' END AS created_at
    FROM generate_series(1, $1::int) AS i`;

async function fillTransfers(db: Client, params: number[], plant: boolean): Promise<void> {
  await db.query(
    `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                            failure_reason, version, last_event_id, correlation_id, created_at, updated_at)
     SELECT id, 'audit-bench', from_account_id, to_account_id, amount_minor, 'EUR', status::transfer_status,
            CASE status WHEN 'FAILED' THEN 'INSUFFICIENT_FUNDS' END, CASE status WHEN 'PENDING' THEN 1 ELSE 2 END,
            md5('oncepay-audit-event-' || i)::uuid, 'audit-bench-' || i, created_at,
            CASE status WHEN 'PENDING' THEN created_at ELSE created_at + interval '1 second' END
       FROM (${TRANSFER_OF_I}) t`,
    params,
  );
  if (plant)
    await db.query(
      `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                              version, last_event_id, correlation_id, created_at, updated_at)
       VALUES ($1::uuid, 'audit-bench', md5('oncepay-audit-account-0')::uuid, md5('oncepay-audit-account-1')::uuid,
               100, 'EUR', 'PENDING', 1, md5('oncepay-audit-planted-stuck')::uuid, 'audit-bench-stuck',
               now() - interval '2 days', now() - interval '2 days')`,
      [PLANTED.stuckTransfer],
    );
  await db.query('ANALYZE transfers');
}

async function fillLedger(db: Client, params: number[], plant: boolean): Promise<void> {
  await db.query(
    `INSERT INTO accounts (id, owner_client_id, currency, balance_minor, allow_negative_balance)
     SELECT md5('oncepay-audit-account-' || a)::uuid, 'audit-bench', 'EUR', 0, a = 0
       FROM generate_series(0, $1::int) AS a`,
    [params[1]],
  );
  await db.query(
    `INSERT INTO journal_entries (transfer_id, account_id, direction, amount_minor, currency, posted_at)
     SELECT t.id, CASE d.direction WHEN 'DEBIT' THEN t.from_account_id ELSE t.to_account_id END,
            d.direction::entry_direction, t.amount_minor, 'EUR', t.created_at + interval '500 milliseconds'
       FROM (${TRANSFER_OF_I}) t CROSS JOIN (VALUES ('DEBIT'), ('CREDIT')) AS d(direction)
      WHERE t.status = 'COMPLETED'
      ORDER BY t.i, d.direction`,
    params,
  );
  await db.query(
    `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
     SELECT id, CASE status WHEN 'COMPLETED' THEN 'POSTED' ELSE 'REJECTED' END::ledger_outcome,
            CASE status WHEN 'COMPLETED' THEN NULL ELSE 'INSUFFICIENT_FUNDS' END,
            CASE status WHEN 'PENDING' THEN now() ELSE created_at + interval '500 milliseconds' END
       FROM (${TRANSFER_OF_I}) t
      WHERE status <> 'PENDING' OR i % 20 = 19`,
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
  }
  // Every balance is its journal's sum (the planted orphan posting included: it balances)...
  await db.query(
    `UPDATE accounts a SET balance_minor = j.sum
       FROM (SELECT account_id,
                    SUM(CASE direction WHEN 'CREDIT' THEN amount_minor ELSE -amount_minor END)::bigint AS sum
               FROM journal_entries GROUP BY account_id) j
      WHERE a.id = j.account_id`,
  );
  // ...but one, when planting: a cent the journal does not explain, which the sum over balances shows too.
  if (plant)
    await db.query(
      `UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = md5('oncepay-audit-account-' || $1)::uuid`,
      [PLANTED.driftedAccountNumber],
    );
  await db.query('ANALYZE accounts, journal_entries, ledger_decisions');
}

async function fillNotifications(db: Client, params: number[], plant: boolean): Promise<void> {
  await db.query(
    `INSERT INTO notifications (id, transfer_id, client_id, outcome, failure_reason, event_id, payload, status,
                                attempts, next_attempt_at, created_at, delivered_at)
     SELECT md5('oncepay-audit-notification-' || i)::uuid, id, 'audit-bench', status::transfer_outcome,
            CASE status WHEN 'FAILED' THEN 'INSUFFICIENT_FUNDS' END,
            md5('oncepay-audit-outcome-' || i)::uuid, '{}'::jsonb, 'DELIVERED', 1,
            created_at + interval '2 seconds', created_at + interval '2 seconds', created_at + interval '3 seconds'
       FROM (${TRANSFER_OF_I}) t
      WHERE status <> 'PENDING'`,
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

async function withClient(url: string, work: (db: Client) => Promise<void>): Promise<void> {
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
