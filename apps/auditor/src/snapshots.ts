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

export const TRANSFER_STATUSES = ['PENDING', 'COMPLETED', 'FAILED'] as const;
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
});
export type AccountRow = z.output<typeof accountRowSchema>;

const currencyTotalRowSchema = z.object({
  currency: z.string(),
  accountCount: z.number().int(),
  balanceSumMinor: minorUnits,
});
export type CurrencyTotalRow = z.output<typeof currencyTotalRowSchema>;

const notificationRowSchema = z.object({
  id: z.string(),
  transferId: z.string(),
  outcome: z.enum(['COMPLETED', 'FAILED']),
  failureReason: z.string().nullable(),
});
export type NotificationRow = z.output<typeof notificationRowSchema>;

const decisionRowSchema = z.object({
  transferId: z.string(),
  outcome: z.enum(['POSTED', 'REJECTED']),
  /** A RejectionReason when REJECTED, null when POSTED. */
  reason: z.string().nullable(),
  decidedAt: z.date(),
});
export type DecisionRow = z.output<typeof decisionRowSchema>;

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
            failure_reason AS "failureReason", created_at AS "createdAt", updated_at AS "updatedAt"
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
            decided_at AS "decidedAt"`;

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
 * Each account with what its journal sums to. The auditor holds a page of accounts; PostgreSQL
 * aggregates the whole journal before the first page (the one read whose time grows with a table).
 */
export function accountsWithJournalSums(db: ReadOnlySource, pageSize: number): AsyncGenerator<AccountRow[]> {
  return cursorPages(
    db,
    `SELECT a.id::text AS id, a.currency::text AS currency, a.balance_minor::text AS "balanceMinor",
            a.allow_negative_balance AS "allowNegativeBalance", COALESCE(j.sum, 0)::text AS "journalSumMinor"
       FROM accounts a
       LEFT JOIN (SELECT account_id,
                         SUM(CASE direction WHEN 'CREDIT' THEN amount_minor ELSE -amount_minor END) AS sum
                    FROM journal_entries GROUP BY account_id) j ON j.account_id = a.id
      ORDER BY a.id`,
    accountRowSchema,
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
                  SUM(balance_minor)::text AS "balanceSumMinor"
             FROM accounts GROUP BY currency ORDER BY currency`,
        )
      ).rows,
    ),
  );
}

/** What the ledger holds for the given transfers now, outside any snapshot (after the transfers were read). */
export interface LateLedgerRead {
  entries: JournalEntryRow[];
  decisions: DecisionRow[];
}

/** The journal entries and decisions of `transferIds` (at most a page of them), read now. */
export async function readLedgerNow(db: ReadOnlySource, transferIds: string[]): Promise<LateLedgerRead> {
  if (transferIds.length === 0) return { entries: [], decisions: [] };
  return reading(db, async () => {
    const entries = await db.client.query(
      `SELECT ${ENTRY_COLUMNS} FROM journal_entries WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id, direction`,
      [transferIds],
    );
    const decisions = await db.client.query(
      `SELECT ${DECISION_COLUMNS} FROM ledger_decisions WHERE transfer_id = ANY($1::uuid[]) ORDER BY transfer_id`,
      [transferIds],
    );
    return {
      entries: z.array(journalEntryRowSchema).parse(entries.rows),
      decisions: z.array(decisionRowSchema).parse(decisions.rows),
    };
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
