// Reads what the auditor compares from the three services' databases, through plain read-only `pg`
// connections: each connection refuses writes for its whole session, and each database is read in one
// REPEATABLE READ transaction, so the rows of one database form a single consistent snapshot.
// Amounts and balances leave PostgreSQL as text (sums are NUMERIC, computed in SQL) and are compared as
// bigint: no amount ever passes through a float. Rows are validated here, at the edge.
//
// Memory: no table is ever held whole. Each table is read through a server-side cursor declared inside
// its database's snapshot and fetched a page at a time (`pageSize` rows), so the auditor holds at most
// a page per table however large the tables grow. The cursors over transfers, journal entries,
// decisions and notifications are ordered by transfer id (each on an index), so the auditor can merge
// them page by page (transfer-stories.ts). Each FETCH is its own statement under the statement timeout;
// the one read whose server time grows with a table is the accounts' journal sums, which PostgreSQL
// aggregates before the first page (accountsWithJournalSums).
import { Client } from 'pg';
import { z } from 'zod';

/** Which of the auditor's inputs failed: named in the error, so the operator knows what to fix. */
export type AuditSource = 'transfer database' | 'ledger database' | 'notification database' | 'Kafka';

/** An infrastructure failure (cannot connect, cannot read): the audit has no answer, not a violation. */
export class AuditSourceError extends Error {
  constructor(
    readonly source: AuditSource,
    readonly stage: 'connect' | 'read',
    readonly location: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot ${stage === 'connect' ? 'connect to' : 'read'} the ${source} at ${location}: ${reason}`, {
      cause,
    });
    this.name = 'AuditSourceError';
  }
}

const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 30_000;

export const TRANSFER_STATUSES = [
  'PENDING',
  'COMPLETED',
  'FAILED',
  'HELD',
  'CAPTURING',
  'CAPTURED',
  'VOIDING',
  'VOIDED',
  'EXPIRING',
  'EXPIRED',
] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** A whole number of minor units, as PostgreSQL prints a BIGINT or NUMERIC without a fraction. */
const minorUnits = z.string().regex(/^-?\d+$/, 'must be an integer number of minor units');

// The queries name their columns in camelCase (`AS "fromAccountId"`), so a row is validated as it arrives.
const transferRowSchema = z.object({
  id: z.string(),
  status: z.enum(TRANSFER_STATUSES),
  fromAccountId: z.string(),
  toAccountId: z.string(),
  amountMinor: minorUnits,
  currency: z.string(),
  failureReason: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  /** Set on a hold only (its kind): the instant it can no longer be captured or voided. */
  holdExpiresAt: z.date().nullable(),
  /** Set on a CAPTURING or CAPTURED hold: what the client captured. */
  captureAmountMinor: minorUnits.nullable(),
  /** Set on a refund only (its kind): the payment it pays back. */
  refundOf: z.string().nullable(),
});
export type TransferRow = z.output<typeof transferRowSchema>;

const journalEntryRowSchema = z.object({
  id: z.string(),
  transferId: z.string(),
  accountId: z.string(),
  direction: z.enum(['DEBIT', 'CREDIT']),
  amountMinor: minorUnits,
  currency: z.string(),
});
export type JournalEntryRow = z.output<typeof journalEntryRowSchema>;

const accountRowSchema = z.object({
  id: z.string(),
  currency: z.string(),
  balanceMinor: minorUnits,
  allowNegativeBalance: z.boolean(),
  /** Credits minus debits of the account's journal entries, summed by PostgreSQL as NUMERIC. */
  journalSumMinor: minorUnits,
  /**
   * The first and last currency, in sort order, of the account's journal entries (null without any):
   * both are the account's own when every entry is. Two bounds, not the list: cheap to aggregate.
   */
  journalCurrencyFirst: z.string().nullable(),
  journalCurrencyLast: z.string().nullable(),
  /** What the account says its ACTIVE holds reserve (`held_minor`). */
  heldMinor: minorUnits,
  /** What its ACTIVE holds really add up to, summed by PostgreSQL as NUMERIC. */
  activeHoldsSumMinor: minorUnits,
  /** The first and last currency of the holds it ever paid into (any status), as for the journal. */
  holdCurrencyFirst: z.string().nullable(),
  holdCurrencyLast: z.string().nullable(),
});
export type AccountRow = z.output<typeof accountRowSchema>;

const currencyTotalRowSchema = z.object({
  currency: z.string(),
  accountCount: z.number().int(),
  balanceSumMinor: minorUnits,
  /** Reserved, not moved: said in the summary, never part of the sum. */
  heldSumMinor: minorUnits,
});
export type CurrencyTotalRow = z.output<typeof currencyTotalRowSchema>;

const notificationRowSchema = z.object({
  id: z.string(),
  transferId: z.string(),
  /**
   * The final status it announces, compared with the transfer's: text, not an enum, so an outcome the
   * notification-service learns (a hold's CAPTURED, VOIDED, EXPIRED) is read and judged, not refused.
   */
  outcome: z.string(),
  failureReason: z.string().nullable(),
});
export type NotificationRow = z.output<typeof notificationRowSchema>;

const decisionRowSchema = z.object({
  transferId: z.string(),
  /** HELD: a hold request placed as a hold; its capture posts later under the same transfer id. */
  outcome: z.enum(['POSTED', 'REJECTED', 'HELD']),
  /** A RejectionReason when REJECTED, null otherwise. */
  reason: z.string().nullable(),
  decidedAt: z.date(),
  /** For a refund: the payment it pays back. */
  refundOf: z.string().nullable(),
});
export type DecisionRow = z.output<typeof decisionRowSchema>;

const holdRowSchema = z.object({
  transferId: z.string(),
  /** The payer, whose available balance carries the hold. */
  accountId: z.string(),
  toAccountId: z.string(),
  amountMinor: minorUnits,
  currency: z.string(),
  status: z.enum(['ACTIVE', 'CAPTURED', 'RELEASED']),
  expiresAt: z.date(),
  capturedMinor: minorUnits.nullable(),
  release: z.enum(['VOID', 'EXPIRY']).nullable(),
  placedAt: z.date(),
  settledAt: z.date().nullable(),
});
export type HoldRow = z.output<typeof holdRowSchema>;

/**
 * One payment the transfer-service holds refunds of, with what they add up to, aggregated by
 * PostgreSQL in the transfers' snapshot (refundsByPayment).
 */
const paymentRefundsRowSchema = z.object({
  paymentId: z.string(),
  paymentStatus: z.enum(TRANSFER_STATUSES),
  /** Its kind: a hold has an expiry, a refund a payment of its own; neither is a refundable payment. */
  paymentIsHold: z.boolean(),
  paymentIsRefund: z.boolean(),
  paymentAmountMinor: minorUnits,
  paymentCaptureAmountMinor: minorUnits.nullable(),
  refunds: z.number().int(),
  completedMinor: minorUnits,
  /** PENDING and COMPLETED: what the transfer-service accepted and has not given back. */
  acceptedMinor: minorUnits,
  /** Refunds that do not send the payment's money back (other accounts, or another currency): the first few ids, and how many. */
  unreversed: z.array(z.string()),
  unreversedCount: z.number().int(),
});
export type PaymentRefundsRow = z.output<typeof paymentRefundsRowSchema>;

/** One payment the ledger posted refunds of, with its own DEBIT entry (refundPostingsByPayment). */
const postedRefundsRowSchema = z.object({
  paymentId: z.string(),
  /** The payment's DEBIT entry; null when the ledger posted none (not a posted payment). */
  paymentDebitMinor: minorUnits.nullable(),
  refunds: z.number().int(),
  refundedMinor: minorUnits,
  /** Refunds whose entries do not reverse the payment's (accounts or currency): the first few ids, and how many. */
  unreversed: z.array(z.string()),
  unreversedCount: z.number().int(),
});
export type PostedRefundsRow = z.output<typeof postedRefundsRowSchema>;

/** One database's read-only connection, named for errors. */
export interface ReadOnlySource {
  source: AuditSource;
  client: Client;
  location: string;
}

export async function openReadOnly(source: AuditSource, url: string): Promise<ReadOnlySource> {
  const location = redactedUrl(url);
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: 'oncepay-audit',
    // The whole session refuses writes, whatever a query below says.
    options: '-c default_transaction_read_only=on',
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new AuditSourceError(source, 'connect', location, error);
  }
  return { source, client, location };
}

export async function closeReadOnly(source: ReadOnlySource): Promise<void> {
  await source.client.end().catch(() => undefined);
}

/**
 * Opens the connection's REPEATABLE READ READ ONLY transaction and takes its snapshot now: PostgreSQL
 * takes it at the transaction's first query, not at BEGIN, so the `SELECT` pins it. Every cursor read
 * on this connection until endSnapshot sees the database as it was at this moment.
 */
export async function beginSnapshot(db: ReadOnlySource): Promise<void> {
  await reading(db, async () => {
    await db.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await db.client.query('SELECT 1');
  });
}

/** Ends the snapshot (nothing was written: COMMIT and ROLLBACK are alike, COMMIT says all went well). */
export async function endSnapshot(db: ReadOnlySource): Promise<void> {
  await reading(db, () => db.client.query('COMMIT'));
}

let cursorsDeclared = 0;

/**
 * The rows of `sql`, a page of at most `pageSize` rows at a time, validated, through a cursor of the
 * open snapshot (beginSnapshot). The cursor is closed when the pages run out or the reader stops early.
 */
async function* cursorPages<Row>(
  db: ReadOnlySource,
  sql: string,
  schema: z.ZodType<Row>,
  pageSize: number,
): AsyncGenerator<Row[]> {
  const cursor = `oncepay_audit_${++cursorsDeclared}`;
  await reading(db, () => db.client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`));
  const pageSchema = z.array(schema);
  try {
    for (;;) {
      const rows = await reading(db, async () =>
        pageSchema.parse((await db.client.query(`FETCH ${pageSize} FROM ${cursor}`)).rows),
      );
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
    }
  } finally {
    await db.client.query(`CLOSE ${cursor}`).catch(() => undefined);
  }
}

/** The transfers in id order (the primary key). */
export function transfersInIdOrder(db: ReadOnlySource, pageSize: number): AsyncGenerator<TransferRow[]> {
  return cursorPages(
    db,
    `SELECT id::text AS id, status::text AS status, from_account_id::text AS "fromAccountId",
            to_account_id::text AS "toAccountId", amount_minor::text AS "amountMinor", currency,
            failure_reason AS "failureReason", created_at AS "createdAt", updated_at AS "updatedAt",
            hold_expires_at AS "holdExpiresAt", capture_amount_minor::text AS "captureAmountMinor",
            refund_of::text AS "refundOf"
       FROM transfers ORDER BY id`,
    transferRowSchema,
    pageSize,
  );
}

const ENTRY_COLUMNS = `id::text AS id, transfer_id::text AS "transferId", account_id::text AS "accountId",
            direction::text AS direction, amount_minor::text AS "amountMinor", currency::text AS currency`;

/** The journal in transfer id order (its unique (transfer_id, direction) index). */
export function entriesInTransferOrder(
  db: ReadOnlySource,
  pageSize: number,
): AsyncGenerator<JournalEntryRow[]> {
  return cursorPages(
    db,
    `SELECT ${ENTRY_COLUMNS} FROM journal_entries ORDER BY transfer_id, direction`,
    journalEntryRowSchema,
    pageSize,
  );
}

const DECISION_COLUMNS = `transfer_id::text AS "transferId", outcome::text AS outcome, reason,
            decided_at AS "decidedAt", refund_of::text AS "refundOf"`;

/** The ledger's decisions in transfer id order (the primary key). */
export function decisionsInTransferOrder(
  db: ReadOnlySource,
  pageSize: number,
): AsyncGenerator<DecisionRow[]> {
  return cursorPages(
    db,
    `SELECT ${DECISION_COLUMNS} FROM ledger_decisions ORDER BY transfer_id`,
    decisionRowSchema,
    pageSize,
  );
}

const HOLD_COLUMNS = `transfer_id::text AS "transferId", account_id::text AS "accountId",
            to_account_id::text AS "toAccountId", amount_minor::text AS "amountMinor", currency::text AS currency,
            status::text AS status, expires_at AS "expiresAt", captured_minor::text AS "capturedMinor",
            release::text AS release, placed_at AS "placedAt", settled_at AS "settledAt"`;

/** The ledger's holds in transfer id order (the primary key). */
export function holdsInTransferOrder(db: ReadOnlySource, pageSize: number): AsyncGenerator<HoldRow[]> {
  return cursorPages(db, `SELECT ${HOLD_COLUMNS} FROM holds ORDER BY transfer_id`, holdRowSchema, pageSize);
}

/** The notifications in transfer id order (the unique transfer_id index). */
export function notificationsInTransferOrder(
  db: ReadOnlySource,
  pageSize: number,
): AsyncGenerator<NotificationRow[]> {
  return cursorPages(
    db,
    `SELECT id::text AS id, transfer_id::text AS "transferId", outcome::text AS outcome,
            failure_reason AS "failureReason"
       FROM notifications ORDER BY transfer_id`,
    notificationRowSchema,
    pageSize,
  );
}

/**
 * Each account with what its journal and its ACTIVE holds sum to. The auditor holds a page of accounts;
 * PostgreSQL aggregates the whole journal before the first page (the one read whose time grows with a
 * table); the ACTIVE holds come off their partial index.
 */
export function accountsWithJournalSums(db: ReadOnlySource, pageSize: number): AsyncGenerator<AccountRow[]> {
  return cursorPages(
    db,
    `SELECT a.id::text AS id, a.currency::text AS currency, a.balance_minor::text AS "balanceMinor",
            a.allow_negative_balance AS "allowNegativeBalance", COALESCE(j.sum, 0)::text AS "journalSumMinor",
            j.first_currency::text AS "journalCurrencyFirst", j.last_currency::text AS "journalCurrencyLast",
            a.held_minor::text AS "heldMinor", COALESCE(h.sum, 0)::text AS "activeHoldsSumMinor",
            hc.first_currency::text AS "holdCurrencyFirst", hc.last_currency::text AS "holdCurrencyLast"
       FROM accounts a
       LEFT JOIN (SELECT account_id,
                         SUM(CASE direction WHEN 'CREDIT' THEN amount_minor ELSE -amount_minor END) AS sum,
                         MIN(currency) AS first_currency, MAX(currency) AS last_currency
                    FROM journal_entries GROUP BY account_id) j ON j.account_id = a.id
       LEFT JOIN (SELECT account_id, SUM(amount_minor) AS sum
                    FROM holds WHERE status = 'ACTIVE' GROUP BY account_id) h ON h.account_id = a.id
       LEFT JOIN (SELECT account_id, MIN(currency) AS first_currency, MAX(currency) AS last_currency
                    FROM holds GROUP BY account_id) hc ON hc.account_id = a.id
      ORDER BY a.id`,
    accountRowSchema,
    pageSize,
  );
}

/** How many ids of misfits a row of the refund aggregates lists; it counts them all. */
const LISTED_IDS = 5;

/**
 * One row per payment the transfer-service holds refunds of, in payment id order, with what its refunds
 * add up to; PostgreSQL groups the refunds (their `refund_of` index) so the auditor holds a page.
 */
export function refundsByPayment(db: ReadOnlySource, pageSize: number): AsyncGenerator<PaymentRefundsRow[]> {
  const unreversed = `r.from_account_id <> p.to_account_id OR r.to_account_id <> p.from_account_id
                      OR r.currency <> p.currency`;
  return cursorPages(
    db,
    `SELECT p.id::text AS "paymentId", p.status::text AS "paymentStatus",
            p.hold_expires_at IS NOT NULL AS "paymentIsHold", p.refund_of IS NOT NULL AS "paymentIsRefund",
            p.amount_minor::text AS "paymentAmountMinor", p.capture_amount_minor::text AS "paymentCaptureAmountMinor",
            count(*)::int AS refunds,
            COALESCE(SUM(r.amount_minor) FILTER (WHERE r.status = 'COMPLETED'), 0)::text AS "completedMinor",
            COALESCE(SUM(r.amount_minor) FILTER (WHERE r.status IN ('PENDING', 'COMPLETED')), 0)::text AS "acceptedMinor",
            COALESCE((array_agg(r.id::text ORDER BY r.id) FILTER (WHERE ${unreversed}))[1:${LISTED_IDS}], '{}') AS unreversed,
            count(*) FILTER (WHERE ${unreversed})::int AS "unreversedCount"
       FROM transfers r JOIN transfers p ON p.id = r.refund_of
      GROUP BY p.id
      ORDER BY p.id`,
    paymentRefundsRowSchema,
    pageSize,
  );
}

/**
 * One row per payment the ledger posted refunds of (decisions POSTED with `refund_of`), in payment id
 * order: the payment's DEBIT entry and what the refunds' DEBIT entries add up to, grouped by PostgreSQL.
 */
export function refundPostingsByPayment(
  db: ReadOnlySource,
  pageSize: number,
): AsyncGenerator<PostedRefundsRow[]> {
  // A refund reverses its payment: it debits the payment's CREDIT account and credits its DEBIT account.
  const unreversed = `pc.account_id IS DISTINCT FROM rd.account_id OR pd.account_id IS DISTINCT FROM rc.account_id
                      OR pd.currency IS DISTINCT FROM rd.currency`;
  return cursorPages(
    db,
    `SELECT d.refund_of::text AS "paymentId", pd.amount_minor::text AS "paymentDebitMinor",
            count(*)::int AS refunds, SUM(rd.amount_minor)::text AS "refundedMinor",
            COALESCE((array_agg(d.transfer_id::text ORDER BY d.transfer_id) FILTER (WHERE ${unreversed}))[1:${LISTED_IDS}], '{}') AS unreversed,
            count(*) FILTER (WHERE ${unreversed})::int AS "unreversedCount"
       FROM ledger_decisions d
       JOIN journal_entries rd ON rd.transfer_id = d.transfer_id AND rd.direction = 'DEBIT'
       LEFT JOIN journal_entries rc ON rc.transfer_id = d.transfer_id AND rc.direction = 'CREDIT'
       LEFT JOIN journal_entries pd ON pd.transfer_id = d.refund_of AND pd.direction = 'DEBIT'
       LEFT JOIN journal_entries pc ON pc.transfer_id = d.refund_of AND pc.direction = 'CREDIT'
      WHERE d.refund_of IS NOT NULL AND d.outcome = 'POSTED'
      GROUP BY d.refund_of, pd.amount_minor
      ORDER BY d.refund_of`,
    postedRefundsRowSchema,
    pageSize,
  );
}

/** Per currency: the number of accounts and the sum of their balances (one row per currency). */
export function currencyTotals(db: ReadOnlySource): Promise<CurrencyTotalRow[]> {
  return reading(db, async () =>
    z.array(currencyTotalRowSchema).parse(
      (
        await db.client.query(
          `SELECT currency::text AS currency, count(*)::int AS "accountCount",
                  SUM(balance_minor)::text AS "balanceSumMinor", SUM(held_minor)::text AS "heldSumMinor"
             FROM accounts GROUP BY currency ORDER BY currency`,
        )
      ).rows,
    ),
  );
}

/** What the ledger holds for the given transfers now, after the transfers were read (a snapshot of its own). */
export interface LateLedgerRead {
  entries: JournalEntryRow[];
  decisions: DecisionRow[];
  holds: HoldRow[];
}

/**
 * The journal entries, decisions and holds of `transferIds` (at most a page of them), read now, in one
 * REPEATABLE READ snapshot of their own: a hold captured between two of these reads would otherwise
 * show CAPTURED without its entries.
 */
export async function readLedgerNow(db: ReadOnlySource, transferIds: string[]): Promise<LateLedgerRead> {
  if (transferIds.length === 0) return { entries: [], decisions: [], holds: [] };
  return reading(db, async () => {
    await db.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const entries = await db.client.query(
        `SELECT ${ENTRY_COLUMNS} FROM journal_entries WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id, direction`,
        [transferIds],
      );
      const decisions = await db.client.query(
        `SELECT ${DECISION_COLUMNS} FROM ledger_decisions WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id`,
        [transferIds],
      );
      const holds = await db.client.query(
        `SELECT ${HOLD_COLUMNS} FROM holds WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id`,
        [transferIds],
      );
      return {
        entries: z.array(journalEntryRowSchema).parse(entries.rows),
        decisions: z.array(decisionRowSchema).parse(decisions.rows),
        holds: z.array(holdRowSchema).parse(holds.rows),
      };
    } finally {
      await db.client.query('COMMIT');
    }
  });
}

/** Runs a read, turning any failure into an AuditSourceError naming the database. */
async function reading<T>(db: ReadOnlySource, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof AuditSourceError) throw error;
    throw new AuditSourceError(db.source, 'read', db.location, error);
  }
}

/** The URL without its password, fit for an error message. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
