// Proves PostgreSQL itself holds database-per-service and the append-only books, as an attacker holding
// a service's database credentials would try them: the service role has exactly the privileges
// scripts/db/roles.ts declares, no DDL, no TRUNCATE, no way to switch a trigger off, no UPDATE or DELETE
// of the journal, and no way into another service's database; the auditor reads the tables it checks,
// no others (not the webhook secrets), and writes nothing; the outbox operator releases or discards a
// parked outbox row and touches nothing else.
import { createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { AUDITOR_TABLES, grantServicePrivileges, SERVICE_TABLE_PRIVILEGES } from '../scripts/db/roles';
import { withPgClient } from '../scripts/infra/postgres';
import {
  outboxOperatorRoleOf,
  ownerRoleOf,
  serviceRoleOf,
  SERVICES,
  type ServiceSpec,
} from '../scripts/infra/services';

type ServiceName = ServiceSpec['name'];

const databases = {} as Record<ServiceName, TestDatabase>;

beforeAll(async () => {
  for (const { name } of SERVICES) databases[name] = await createTestDatabase(name);
});
afterAll(async () => {
  await Promise.all(Object.values(databases).map((database) => database.drop()));
});

/** The error a statement fails with, as `<SQLSTATE> <message>`; fails the test when it succeeds. */
async function refusal(url: string, sql: string): Promise<string> {
  return withPgClient(url, async (client) => {
    try {
      await client.query(sql);
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      return `${code} ${message}`;
    }
    throw new Error(`expected PostgreSQL to refuse: ${sql}`);
  });
}

async function aColumnOf(database: TestDatabase, table: string): Promise<string> {
  const result = await withPgClient(database.adminUrl, (client) =>
    client.query<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position LIMIT 1`,
      [table],
    ),
  );
  const name = result.rows[0]?.name;
  if (!name) throw new Error(`no table ${table}`);
  return name;
}

describe.each(SERVICES.map((service) => service.name))('the %s service role', (service) => {
  const tables = Object.keys(SERVICE_TABLE_PRIVILEGES[service]);

  it('holds exactly the declared privileges on its tables and none on the migration history', async () => {
    const granted = await withPgClient(databases[service].adminUrl, (client) =>
      client.query<{ table_name: string; privileges: string[] }>(
        `SELECT table_name, array_agg(privilege_type::text ORDER BY privilege_type) AS privileges
           FROM information_schema.role_table_grants
          WHERE grantee = $1 AND table_schema = 'public'
          GROUP BY table_name`,
        [serviceRoleOf(service)],
      ),
    );
    const expected = Object.fromEntries(
      Object.entries(SERVICE_TABLE_PRIVILEGES[service]).map(([table, privileges]) => [
        table,
        [...privileges].sort(),
      ]),
    );
    expect(Object.fromEntries(granted.rows.map((row) => [row.table_name, row.privileges]))).toEqual(expected);
  });

  it('is an ordinary login role: no superuser, no CREATEDB, no CREATEROLE, no replication, no RLS bypass', async () => {
    const role = await withPgClient(databases[service].adminUrl, (client) =>
      client.query(
        `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin
           FROM pg_roles WHERE rolname = $1`,
        [serviceRoleOf(service)],
      ),
    );
    expect(role.rows).toEqual([
      {
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: true,
      },
    ]);
  });

  it('cannot create, alter, drop or truncate anything, nor switch a trigger off', async () => {
    const url = databases[service].url;
    await expect(refusal(url, `CREATE TABLE stolen (id int)`)).resolves.toMatch(
      /^42501 permission denied for schema public/,
    );
    for (const table of tables) {
      await expect(refusal(url, `TRUNCATE ${table}`)).resolves.toMatch(/^42501 permission denied/);
      await expect(refusal(url, `ALTER TABLE ${table} DISABLE TRIGGER ALL`)).resolves.toMatch(
        /^42501 must be owner/,
      );
      await expect(refusal(url, `DROP TABLE ${table}`)).resolves.toMatch(/^42501 must be owner/);
    }
    await expect(refusal(url, `SELECT * FROM _prisma_migrations`)).resolves.toMatch(
      /^42501 permission denied/,
    );
    await expect(refusal(url, `SET session_replication_role = replica`)).resolves.toMatch(
      /^42501 permission denied/,
    );
  });

  it('has an owner that owns every table and cannot log in, whatever password is tried', async () => {
    const owner = ownerRoleOf(service);
    const found = await withPgClient(databases[service].adminUrl, (client) =>
      client.query<{ login: boolean; foreign: number }>(
        `SELECT (SELECT rolcanlogin FROM pg_roles WHERE rolname = $1) AS login,
                (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public' AND tableowner <> $1) AS foreign`,
        [owner],
      ),
    );
    expect(found.rows).toEqual([{ login: false, foreign: 0 }]);
    const url = new URL(databases[service].url);
    url.username = owner;
    await expect(
      withPgClient(url.toString(), (client) => client.query('SELECT 1')).then(
        () => 'connected',
        (error: { code?: string }) => error.code,
      ),
    ).resolves.toMatch(/^28/);
  });

  it("cannot connect to another service's database", async () => {
    for (const other of SERVICES.filter((s) => s.name !== service)) {
      const url = new URL(databases[service].url);
      url.pathname = `/${databases[other.name].name}`;
      await expect(
        withPgClient(url.toString(), (client) => client.query('SELECT 1')).then(
          () => 'connected',
          (error: { code?: string; message: string }) => `${error.code} ${error.message}`,
        ),
      ).resolves.toMatch(/^42501 permission denied for database/);
    }
  });
});

describe('the append-only tables', () => {
  it.each([
    ['ledger', 'journal_entries'],
    ['ledger', 'ledger_decisions'],
    ['notification', 'delivery_attempts'],
  ] as const)('%s.%s: the service role may not UPDATE or DELETE a row', async (service, table) => {
    const url = databases[service].url;
    const column = await aColumnOf(databases[service], table);
    await expect(refusal(url, `UPDATE ${table} SET ${column} = ${column}`)).resolves.toMatch(
      /^42501 permission denied/,
    );
    await expect(refusal(url, `DELETE FROM ${table}`)).resolves.toMatch(/^42501 permission denied/);
  });
});

describe('the auditor role (oncepay_auditor)', () => {
  it.each(SERVICES.map((service) => service.name))(
    'reads the %s tables it checks, no other, and writes none',
    async (service) => {
      const url = databases[service].auditorUrl;
      for (const table of Object.keys(SERVICE_TABLE_PRIVILEGES[service])) {
        const read = withPgClient(url, (client) => client.query(`SELECT count(*) FROM ${table}`));
        if (AUDITOR_TABLES[service].includes(table)) await expect(read).resolves.toBeDefined();
        else await expect(read).rejects.toMatchObject({ code: '42501' });
        const column = await aColumnOf(databases[service], table);
        for (const write of [
          `INSERT INTO ${table} DEFAULT VALUES`,
          `UPDATE ${table} SET ${column} = ${column}`,
          `DELETE FROM ${table}`,
          `TRUNCATE ${table}`,
        ])
          await expect(refusal(url, write)).resolves.toMatch(/^42501 permission denied/);
      }
    },
  );
});

describe('the outbox operator role (npm run outbox)', () => {
  it.each(['transfer', 'ledger'] as const)(
    'reads the %s outbox and may update a row’s status and operator fields, nothing else',
    async (service) => {
      const url = databases[service].outboxOperatorUrl;
      await expect(
        withPgClient(url, (client) => client.query(`SELECT count(*) FROM outbox_messages`)),
      ).resolves.toBeDefined();
      // Granted (no row matches, so the trigger of the next case never fires).
      await expect(
        withPgClient(url, (client) =>
          client.query(
            `UPDATE outbox_messages SET status = status, discard_reason = discard_reason WHERE false`,
          ),
        ),
      ).resolves.toBeDefined();
      for (const write of [
        `UPDATE outbox_messages SET value = value`,
        `INSERT INTO outbox_messages DEFAULT VALUES`,
        `DELETE FROM outbox_messages`,
      ])
        await expect(refusal(url, write)).resolves.toMatch(/^42501 permission denied/);
      for (const table of Object.keys(SERVICE_TABLE_PRIVILEGES[service]).filter(
        (t) => t !== 'outbox_messages',
      ))
        await expect(refusal(url, `SELECT count(*) FROM ${table}`)).resolves.toMatch(
          /^42501 permission denied/,
        );
    },
  );

  it.each(['transfer', 'ledger'] as const)(
    'releases or discards a parked %s outbox row, and cannot settle or skip any other',
    async (service) => {
      const rowOf = (status: string) =>
        withPgClient(databases[service].adminUrl, async (client) => {
          const { rows } = await client.query<{ position: string }>(
            `INSERT INTO outbox_messages (id, topic, key, value, status, parked_at)
             VALUES (gen_random_uuid(), 'transfer-requests', 'k', '{}', $1::outbox_status,
                     CASE WHEN $1 = 'PARKED' THEN now() END)
             RETURNING position::text`,
            [status],
          );
          return rows[0]!.position;
        });
      const url = databases[service].outboxOperatorUrl;
      const set = (position: string, assignments: string) =>
        `UPDATE outbox_messages SET ${assignments} WHERE position = ${position}`;
      const pending = await rowOf('PENDING');
      const parked = await rowOf('PARKED');
      // A column grant has no row limit; the trigger is what holds the operator to parked rows.
      for (const sql of [
        set(pending, `status = 'SENT'`),
        set(pending, `status = 'DISCARDED', discarded_at = now(), discard_reason = 'x'`),
        set(pending, `attempts = 99`),
        set(parked, `status = 'SENT'`),
        set(parked, `attempts = 0`),
      ])
        await expect(refusal(url, sql)).resolves.toMatch(
          /^42501 the outbox operator may only release or discard a PARKED row/,
        );
      const released = await withPgClient(url, (client) =>
        client.query(set(parked, `status = 'PENDING', attempts = 0, parked_at = NULL`)),
      );
      expect(released.rowCount).toBe(1);
      const discarded = await withPgClient(url, async (client) =>
        client.query(
          set(await rowOf('PARKED'), `status = 'DISCARDED', discarded_at = now(), discard_reason = 'x'`),
        ),
      );
      expect(discarded.rowCount).toBe(1);
    },
  );

  it('is not made for the notification database, which has no outbox', async () => {
    const found = await withPgClient(databases.notification.adminUrl, (client) =>
      client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [outboxOperatorRoleOf('notification')]),
    );
    expect(found.rowCount).toBe(0);
  });
});

describe('the migration step', () => {
  it('refuses a database with a table whose privileges nobody declared', async () => {
    const database = await createTestDatabase('transfer');
    try {
      await database.createTable('undeclared', 'id int');
      // As the superuser here; the migration step runs it as the owner, who may grant on its own tables.
      await expect(grantServicePrivileges(database.adminUrl, 'transfer')).rejects.toThrow(
        'the transfer database and SERVICE_TABLE_PRIVILEGES (scripts/db/roles.ts) disagree: no privileges declared for undeclared',
      );
    } finally {
      await database.drop();
    }
  });
});
