// Who may do what in the service databases. Database-per-service and the append-only journal are held
// by PostgreSQL's privileges, not by convention: each service connects as a role of its own that may
// connect to its database only, use the tables it needs with the verbs it needs, and nothing else
// (no DDL, no TRUNCATE, no UPDATE or DELETE of the journal, no triggers to switch off: only an owner
// could). A separate owner role runs the migrations; the auditor reads the tables it checks
// (AUDITOR_TABLES) and writes none; the outbox operator (`npm run outbox`) releases or discards a parked
// outbox row and touches nothing else. One superuser step (provisionDatabase) creates the roles and hands
// the database to its owner; the migrations and the grants then run as the owner (a superuser's session
// under SET ROLE: the owner itself cannot log in, so no password opens it).
import { Client } from 'pg';
import { quoteIdentifier, withPgClient } from '../infra/postgres';
import {
  AUDITOR_ROLE,
  outboxOperatorRoleOf,
  ownerRoleOf,
  serviceRoleOf,
  type ServiceSpec,
} from '../infra/services';

type ServiceName = ServiceSpec['name'];
type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

const APPEND_ONLY: TablePrivilege[] = ['SELECT', 'INSERT'];
const PURGED_DEDUP_RECORDS: TablePrivilege[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/**
 * Every table of every service database and what its service may do to it; nothing more is granted.
 * The migration step refuses a database with a table missing here, so a new table is a decision.
 */
export const SERVICE_TABLE_PRIVILEGES: Record<ServiceName, Record<string, TablePrivilege[]>> = {
  transfer: {
    // DELETE: the retention job purges old rows of these three. UPDATE only because its batched DELETE
    // locks the rows it picks (FOR UPDATE SKIP LOCKED, so two instances purge side by side), and
    // PostgreSQL allows that lock only to a role that may UPDATE; no service code updates a dedup record.
    processed_messages: PURGED_DEDUP_RECORDS,
    // The transfer trail's records, written with the dedup records and purged with them.
    absorbed_duplicates: PURGED_DEDUP_RECORDS,
    stale_events: PURGED_DEDUP_RECORDS,
    outbox_messages: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    idempotency_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    // A transfer moves through its states; it is never deleted.
    transfers: ['SELECT', 'INSERT', 'UPDATE'],
  },
  ledger: {
    processed_messages: PURGED_DEDUP_RECORDS,
    absorbed_duplicates: PURGED_DEDUP_RECORDS,
    outbox_messages: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
    // UPDATE: balances move with each posting; accounts are never deleted.
    accounts: ['SELECT', 'INSERT', 'UPDATE'],
    // The journal and the decisions are append-only (their triggers refuse it too, even to the owner).
    journal_entries: APPEND_ONLY,
    ledger_decisions: APPEND_ONLY,
    // UPDATE: a hold is captured or released once (its trigger refuses any later change); never deleted.
    holds: ['SELECT', 'INSERT', 'UPDATE'],
  },
  notification: {
    processed_messages: PURGED_DEDUP_RECORDS,
    absorbed_duplicates: PURGED_DEDUP_RECORDS,
    // UPDATE: a notification's delivery status; the attempts are its history.
    notifications: ['SELECT', 'INSERT', 'UPDATE'],
    delivery_attempts: APPEND_ONLY,
    // UPDATE: an endpoint is disabled, never deleted (its deliveries are its history).
    webhook_endpoints: ['SELECT', 'INSERT', 'UPDATE'],
    // UPDATE: a rotation gives the older secrets the end of their overlap.
    webhook_secrets: ['SELECT', 'INSERT', 'UPDATE'],
    // UPDATE: a delivery's status, like a notification's; the attempts are its history.
    webhook_deliveries: ['SELECT', 'INSERT', 'UPDATE'],
    webhook_delivery_attempts: APPEND_ONLY,
  },
};

/** Prisma's migration history: the owner's business only. */
const MIGRATIONS_TABLE = '_prisma_migrations';

/**
 * The tables the auditor (apps/auditor) reads, and so may read: SELECT on these, nothing on the others.
 * Not every table: webhook_secrets holds the HMAC keys in clear (a reader could sign webhooks), and
 * idempotency_keys the responses of other clients' requests; an auditor's password opens neither.
 */
export const AUDITOR_TABLES: Record<ServiceName, string[]> = {
  transfer: ['transfers', 'outbox_messages'],
  ledger: ['accounts', 'journal_entries', 'ledger_decisions', 'holds', 'outbox_messages'],
  notification: ['notifications'],
};

/**
 * What `npm run outbox` may change in a parked outbox row (packages/messaging/src/outbox-parking.ts):
 * its status and the fields that go with releasing or discarding it. It reads the table, and may touch
 * nothing else in the database: an operator's command cannot move a balance or rewrite a transfer. A
 * column grant has no row limit, so a trigger (migration outbox_operator_parked_rows_only) refuses the
 * role any update but a PARKED row's release or discard: it cannot skip a PENDING row.
 */
const OUTBOX_OPERATOR_COLUMNS = [
  'status',
  'attempts',
  'next_attempt_at',
  'parked_at',
  'discarded_at',
  'discard_reason',
];

/** The login roles of `service`'s database: its own, the auditor, and the outbox operator where it has an outbox. */
function loginRolesOf(service: ServiceName): string[] {
  const hasOutbox = 'outbox_messages' in SERVICE_TABLE_PRIVILEGES[service];
  return [serviceRoleOf(service), AUDITOR_ROLE, ...(hasOutbox ? [outboxOperatorRoleOf(service)] : [])];
}

/**
 * As a superuser: creates the service's owner and its login roles (loginRolesOf) when missing (with
 * `rolePassword` for those that log in), creates `database` owned by the owner (or hands it over), and
 * opens it to those login roles only. Safe to repeat, and beside another run doing the same.
 */
export async function provisionDatabase(
  adminUrl: string,
  service: ServiceName,
  database: string,
  rolePassword: string,
): Promise<void> {
  const owner = ownerRoleOf(service);
  await withPgClient(adminUrl, async (client) => {
    await ensureRole(client, owner, null);
    for (const role of loginRolesOf(service)) await ensureRole(client, role, rolePassword);
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0)
      await client.query(`CREATE DATABASE ${quoteIdentifier(database)} OWNER ${quoteIdentifier(owner)}`);
    await restrictDatabase(client, service, database);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  await withPgClient(url.toString(), (client) => handSchemaToOwner(client, owner));
}

/**
 * As a superuser, on a database just created (a copy of a provisioned template, whose tables, schema
 * and grants it copies, but not who owns it and who may connect): the owner, and CONNECT for its login
 * roles only (loginRolesOf).
 */
export async function restrictDatabase(
  client: Client,
  service: ServiceName,
  database: string,
): Promise<void> {
  const db = quoteIdentifier(database);
  await client.query(`ALTER DATABASE ${db} OWNER TO ${quoteIdentifier(ownerRoleOf(service))}`);
  await client.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
  await client.query(
    `GRANT CONNECT ON DATABASE ${db} TO ${loginRolesOf(service).map(quoteIdentifier).join(', ')}`,
  );
}

/**
 * `adminUrl` (a superuser's, on the service's database) acting as the database's owner: every session
 * starts with SET ROLE to it, so what it creates belongs to the owner, which cannot log in itself.
 */
export function asOwner(adminUrl: string, service: ServiceName): string {
  const url = new URL(adminUrl);
  url.searchParams.set('options', `-c role=${ownerRoleOf(service)}`);
  return url.toString();
}

/**
 * As the owner, after the migrations: exactly the privileges of SERVICE_TABLE_PRIVILEGES for the service
 * role, SELECT on AUDITOR_TABLES for the auditor and OUTBOX_OPERATOR_COLUMNS for the outbox operator, in
 * one transaction (nobody sees the tables without their grants).
 */
export async function grantServicePrivileges(ownerUrl: string, service: ServiceName): Promise<void> {
  const declared = SERVICE_TABLE_PRIVILEGES[service];
  const serviceRole = quoteIdentifier(serviceRoleOf(service));
  const auditor = quoteIdentifier(AUDITOR_ROLE);
  await withPgClient(ownerUrl, async (client) => {
    const tables = (
      await client.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1 ORDER BY 1`,
        [MIGRATIONS_TABLE],
      )
    ).rows.map((row) => row.name);
    const undeclared = tables.filter((table) => !(table in declared));
    const missing = Object.keys(declared).filter((table) => !tables.includes(table));
    if (undeclared.length > 0 || missing.length > 0)
      throw new Error(
        `the ${service} database and SERVICE_TABLE_PRIVILEGES (scripts/db/roles.ts) disagree: ` +
          [
            undeclared.length ? `no privileges declared for ${undeclared.join(', ')}` : '',
            missing.length ? `no such table ${missing.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
      );
    // Revoking a table's privileges revokes its column privileges too (the outbox operator's).
    const roles = loginRolesOf(service).map(quoteIdentifier).join(', ');
    await client.query('BEGIN');
    try {
      await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${roles}`);
      await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${roles}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${roles}`);
      for (const table of tables) {
        const privileges = declared[table] ?? [];
        await client.query(`GRANT ${privileges.join(', ')} ON ${quoteIdentifier(table)} TO ${serviceRole}`);
        if (AUDITOR_TABLES[service].includes(table))
          await client.query(`GRANT SELECT ON ${quoteIdentifier(table)} TO ${auditor}`);
      }
      if (tables.includes('outbox_messages')) {
        const operator = quoteIdentifier(outboxOperatorRoleOf(service));
        await client.query(`GRANT SELECT ON outbox_messages TO ${operator}`);
        await client.query(
          `GRANT UPDATE (${OUTBOX_OPERATOR_COLUMNS.join(', ')}) ON outbox_messages TO ${operator}`,
        );
      }
      // nextval() for the identity columns of the tables it inserts into; nothing else on sequences.
      await client.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${serviceRole}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** `url` with another user and password (the same server and database). */
export function urlAs(url: string, role: string, password: string): string {
  const next = new URL(url);
  next.username = role;
  next.password = encodeURIComponent(password);
  return next.toString();
}

/**
 * Creates `role` unless it exists: the owner without LOGIN (only a superuser's session becomes it, with
 * SET ROLE), the others with LOGIN and `password`. A role that exists is left as it is, its password
 * included: an operator's own passwords survive every run.
 */
async function ensureRole(client: Client, role: string, password: string | null): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount !== 0) return;
  const login = password === null ? 'NOLOGIN' : `LOGIN PASSWORD ${quoteLiteral(password)}`;
  try {
    await client.query(
      `CREATE ROLE ${quoteIdentifier(role)} ${login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
    );
  } catch (error) {
    // Another run (a test run beside `npm start`) created it between the check and here: 42710, or
    // 23505 when the two inserts into pg_authid raced.
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw error;
  }
}

/**
 * The owner gets schema `public` and everything in it. Objects a superuser created before roles existed
 * (a dev stack migrated by an earlier version) change hands too, so the owner can migrate them further.
 */
async function handSchemaToOwner(client: Client, owner: string): Promise<void> {
  const role = quoteIdentifier(owner);
  await client.query(`ALTER SCHEMA public OWNER TO ${role}`);
  await client.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC`);
  const owned = await client.query<{ statement: string }>(
    `SELECT format('ALTER TABLE %I OWNER TO ${role}', c.relname) AS statement
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relowner <> $1::regrole
     UNION ALL
     SELECT format('ALTER TYPE %I OWNER TO ${role}', t.typname)
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype = 'e' AND t.typowner <> $1::regrole
     UNION ALL
     SELECT format('ALTER FUNCTION %s OWNER TO ${role}', p.oid::regprocedure)
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' AND p.proowner <> $1::regrole`,
    [owner],
  );
  for (const { statement } of owned.rows) await client.query(statement);
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
