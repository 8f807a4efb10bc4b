// The lab's own PostgreSQL database, one per mode: created with the accounts of the plan, written by the
// lab's consumers, read back for the tally, dropped at the end. Plain `pg`: the lab has no generated
// Prisma client, and @oncepay/dedup needs only the two methods of SqlExecutor (query and execute).
import type { TransferFacts } from '@oncepay/contracts';
import type { ProducerRecord } from '@oncepay/messaging';
import type { SqlExecutor } from '@oncepay/sql';
import { Client } from 'pg';
import { quoteIdentifier } from '../infra/postgres';
import type { LabPlan } from './plan';
import type { Observations } from './tally';

// `postings` and `notifications` have no unique constraint on purpose: a second effect must show up as
// a second row, not be hidden by the database. (OncePay's own tables do have business-key constraints
// behind the dedup; the lab measures the consumer discipline alone.) `processed_messages` is the table
// every OncePay service has, with the same key, so @oncepay/dedup's recordProcessed works on it.
// `outbox` is the effectively-once ledger's: its answers, written in the posting's transaction and
// sent by a relay step (OncePay's outbox_messages in miniature: no attempts, no parking).
const SCHEMA = `
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  balance_minor bigint NOT NULL
);
CREATE TABLE postings (
  id bigserial PRIMARY KEY,
  transfer_id uuid NOT NULL,
  from_account_id uuid NOT NULL REFERENCES accounts (id),
  to_account_id uuid NOT NULL REFERENCES accounts (id),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  posted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE notifications (
  id bigserial PRIMARY KEY,
  transfer_id uuid NOT NULL,
  event_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  topic text NOT NULL,
  record jsonb NOT NULL,
  sent_at timestamptz
);
CREATE TABLE processed_messages (
  consumer text NOT NULL,
  message_id uuid NOT NULL,
  processed_at timestamptz(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (consumer, message_id)
);
`;

function databaseUrlOf(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates the database with the lab's tables and the plan's accounts at their opening balances. */
export async function createLabDatabase(adminUrl: string, database: string, plan: LabPlan): Promise<string> {
  await withClient(adminUrl, (admin) => admin.query(`CREATE DATABASE ${quoteIdentifier(database)}`));
  const url = databaseUrlOf(adminUrl, database);
  await withClient(url, async (db) => {
    await db.query(SCHEMA);
    for (const account of plan.accounts)
      await db.query(`INSERT INTO accounts (id, name, balance_minor) VALUES ($1, $2, $3)`, [
        account.id,
        account.name,
        account.openingBalanceMinor.toString(),
      ]);
  });
  return url;
}

export async function dropLabDatabase(adminUrl: string, database: string): Promise<void> {
  await withClient(adminUrl, (admin) =>
    admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`),
  );
}

/** A `pg` client seen through @oncepay/dedup's SqlExecutor door. */
export function sqlExecutorOf(client: Client): SqlExecutor {
  return {
    async query<T = unknown>(text: string, ...values: unknown[]): Promise<T> {
      return (await client.query(text, values)).rows as T;
    },
    async execute(text: string, ...values: unknown[]): Promise<number> {
      return (await client.query(text, values)).rowCount ?? 0;
    },
  };
}

/** Runs `fn` in one transaction on `client`: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(client: Client, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(sqlExecutorOf(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The ledger's effect: one posting and both balances. It never refuses: every request must post once. */
export async function postTransfer(tx: SqlExecutor, facts: TransferFacts): Promise<void> {
  const amount = facts.amountMinor.toString();
  await tx.execute(
    `INSERT INTO postings (transfer_id, from_account_id, to_account_id, amount_minor) VALUES ($1, $2, $3, $4)`,
    facts.transferId,
    facts.fromAccountId,
    facts.toAccountId,
    amount,
  );
  // In id order, so two transactions touching the same pair of accounts never deadlock.
  const [first, second] = [facts.fromAccountId, facts.toAccountId].sort();
  for (const accountId of [first, second]) {
    const delta = accountId === facts.fromAccountId ? `-${amount}` : amount;
    const updated = await tx.execute(
      `UPDATE accounts SET balance_minor = balance_minor + $2::bigint WHERE id = $1`,
      accountId,
      delta,
    );
    if (updated !== 1) throw new Error(`no account ${accountId}`);
  }
}

/** The notifier's effect: one notification row for one outcome event. */
export async function recordNotification(
  tx: SqlExecutor,
  transferId: string,
  eventId: string,
): Promise<void> {
  await tx.execute(`INSERT INTO notifications (transfer_id, event_id) VALUES ($1, $2)`, transferId, eventId);
}

/** The answer as an outbox row, in the caller's transaction: it commits or rolls back with the effect. */
export async function enqueueAnswer(tx: SqlExecutor, eventId: string, record: ProducerRecord): Promise<void> {
  await tx.execute(
    `INSERT INTO outbox (event_id, topic, record) VALUES ($1, $2, $3::jsonb)`,
    eventId,
    record.topic,
    JSON.stringify(record),
  );
}

/**
 * The relay step: sends every unsent row, in order, and marks it sent. The rows stay locked from the
 * read to the mark (FOR UPDATE SKIP LOCKED, as OncePay's relay claims its rows), so two ledgers relaying
 * at once (the rebalance fault) never send one row twice. A crash between the send and the mark sends
 * the row again on the next pass, with the same event id; the lab schedules no crash there.
 */
export async function relayOutbox(
  db: Client,
  send: (records: ProducerRecord[]) => Promise<void>,
): Promise<number> {
  return inTransaction(db, async (tx) => {
    const rows = await tx.query<{ id: string; record: ProducerRecord }[]>(
      `SELECT id::text AS id, record FROM outbox WHERE sent_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED`,
    );
    if (rows.length === 0) return 0;
    await send(rows.map((row) => row.record));
    await tx.execute(
      `UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])`,
      rows.map((row) => row.id),
    );
    return rows.length;
  });
}

/**
 * Reads back what the run left in the database: rows per transfer and the balances (as text, parsed
 * to bigint). The duplicates on the topics are read from Kafka (read-back.ts).
 */
export async function readObservations(url: string): Promise<Omit<Observations, 'topicDuplicates'>> {
  return withClient(url, async (db) => {
    const counts = async (table: 'postings' | 'notifications'): Promise<Map<string, number>> => {
      const result = await db.query<{ transfer_id: string; rows: string }>(
        `SELECT transfer_id, count(*)::text AS rows FROM ${table} GROUP BY transfer_id`,
      );
      return new Map(result.rows.map((row) => [row.transfer_id, Number(row.rows)]));
    };
    const balances = await db.query<{ id: string; balance_minor: string }>(
      `SELECT id, balance_minor::text AS balance_minor FROM accounts`,
    );
    return {
      postingsPerTransfer: await counts('postings'),
      notificationsPerTransfer: await counts('notifications'),
      balances: new Map(balances.rows.map((row) => [row.id, BigInt(row.balance_minor)])),
    };
  });
}

async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
