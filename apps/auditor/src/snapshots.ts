// Reads what the auditor compares from the three services' databases, through plain read-only `pg`
// connections: each connection refuses writes for its whole session, and each database is read in one
// REPEATABLE READ transaction, so the rows of one database form a single consistent snapshot.
// Amounts and balances leave PostgreSQL as text (sums are NUMERIC, computed in SQL) and are compared as
// bigint: no amount ever passes through a float. Rows are validated here, at the edge.
//
// Memory: every row of transfers, journal_entries, accounts and notifications is held at once. That is
// fine for a reference system's data; a production-sized ledger would page each table with keyset
// pagination on its primary key and join page by page.
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

export interface LedgerSnapshot {
  accounts: AccountRow[];
  /** Per currency: adding balances of two currencies means nothing. */
  totals: CurrencyTotalRow[];
  entries: JournalEntryRow[];
}

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

export function readTransfers(db: ReadOnlySource): Promise<TransferRow[]> {
  return inSnapshot(db, async () =>
    z.array(transferRowSchema).parse(
      (
        await db.client.query(
          `SELECT id::text AS id, status::text AS status, from_account_id::text AS "fromAccountId",
                  to_account_id::text AS "toAccountId", amount_minor::text AS "amountMinor", currency,
                  failure_reason AS "failureReason", created_at AS "createdAt", updated_at AS "updatedAt"
             FROM transfers ORDER BY created_at, id`,
        )
      ).rows,
    ),
  );
}

export function readLedger(db: ReadOnlySource): Promise<LedgerSnapshot> {
  return inSnapshot(db, async () => {
    const accounts = await db.client.query(
      `SELECT a.id::text AS id, a.currency::text AS currency, a.balance_minor::text AS "balanceMinor",
              a.allow_negative_balance AS "allowNegativeBalance",
              COALESCE(SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount_minor ELSE -e.amount_minor END), 0)::text
                AS "journalSumMinor"
         FROM accounts a LEFT JOIN journal_entries e ON e.account_id = a.id
        GROUP BY a.id ORDER BY a.id`,
    );
    const totals = await db.client.query(
      `SELECT currency::text AS currency, count(*)::int AS "accountCount",
              SUM(balance_minor)::text AS "balanceSumMinor"
         FROM accounts GROUP BY currency ORDER BY currency`,
    );
    return {
      accounts: z.array(accountRowSchema).parse(accounts.rows),
      totals: z.array(currencyTotalRowSchema).parse(totals.rows),
      entries: await selectEntries(db, '', []),
    };
  });
}

/** The journal entries of the given transfers, read now (after the transfers were read). */
export function readEntriesOf(db: ReadOnlySource, transferIds: string[]): Promise<JournalEntryRow[]> {
  if (transferIds.length === 0) return Promise.resolve([]);
  return inSnapshot(db, () => selectEntries(db, 'WHERE transfer_id = ANY($1::uuid[])', [transferIds]));
}

export function readNotifications(db: ReadOnlySource): Promise<NotificationRow[]> {
  return inSnapshot(db, async () =>
    z.array(notificationRowSchema).parse(
      (
        await db.client.query(
          `SELECT id::text AS id, transfer_id::text AS "transferId", outcome::text AS outcome,
                  failure_reason AS "failureReason"
             FROM notifications ORDER BY created_at, id`,
        )
      ).rows,
    ),
  );
}

async function selectEntries(
  db: ReadOnlySource,
  where: string,
  params: unknown[],
): Promise<JournalEntryRow[]> {
  const result = await db.client.query(
    `SELECT id::text AS id, transfer_id::text AS "transferId", account_id::text AS "accountId",
            direction::text AS direction, amount_minor::text AS "amountMinor", currency::text AS currency
       FROM journal_entries ${where} ORDER BY id`,
    params,
  );
  return z.array(journalEntryRowSchema).parse(result.rows);
}

/** One read-only REPEATABLE READ transaction: every statement inside sees the same snapshot. */
async function inSnapshot<T>(db: ReadOnlySource, read: () => Promise<T>): Promise<T> {
  try {
    await db.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const value = await read();
      await db.client.query('COMMIT');
      return value;
    } catch (error) {
      await db.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
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
