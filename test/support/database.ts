// Gives each test file a database of its own, cloned from the service's migrated template, so test
// files never see each other's rows and can run in parallel.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { restrictDatabase, urlAs } from '../../scripts/db/roles';
import { quoteIdentifier, withPgClient } from '../../scripts/infra/postgres';
import {
  AUDITOR_ROLE,
  outboxOperatorRoleOf,
  serviceRoleOf,
  templateDatabaseOf,
  testDatabasePrefixOf,
  type ServiceSpec,
} from '../../scripts/infra/services';
import { stackConfig } from '../../scripts/infra/stack-config';
import { testEnv } from './env';

export interface TestDatabase {
  name: string;
  /** As the service's own role, with the privileges the service runs with (scripts/db/roles.ts). */
  url: string;
  /** As the superuser: for a test that sets up or inspects what the service may not touch. */
  adminUrl: string;
  /** As the auditor's read-only role. */
  auditorUrl: string;
  /** As the outbox operator's role (`npm run outbox`), on a database with an outbox. */
  outboxOperatorUrl: string;
  /**
   * A table of the test's own (`columns` as in CREATE TABLE), created as the superuser, which the
   * service role may read and write: what a test needs beside the service's tables, nothing more.
   */
  createTable(name: string, columns: string): Promise<void>;
  drop(): Promise<void>;
}

export async function createTestDatabase(service: ServiceSpec['name']): Promise<TestDatabase> {
  const name = `${testDatabasePrefixOf(testEnv.runId)}${service}_${randomBytes(6).toString('hex')}`;
  await withAdmin(async (admin) => {
    await admin.query(
      `CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(templateDatabaseOf(service, testEnv.runId))}`,
    );
    await restrictDatabase(admin, service, name);
  });
  return testDatabaseOn(testEnv.postgresAdminUrl, service, name, () =>
    withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`)),
  );
}

/** The URLs and helpers of `service`'s database `name`, provisioned on the server behind `serverAdminUrl`. */
export function testDatabaseOn(
  serverAdminUrl: string,
  service: ServiceSpec['name'],
  name: string,
  drop: () => Promise<unknown>,
): TestDatabase {
  const adminUrl = new URL(serverAdminUrl);
  adminUrl.pathname = `/${name}`;
  const { rolePassword } = stackConfig.postgres;
  return {
    name,
    url: urlAs(adminUrl.toString(), serviceRoleOf(service), rolePassword),
    adminUrl: adminUrl.toString(),
    auditorUrl: urlAs(adminUrl.toString(), AUDITOR_ROLE, rolePassword),
    outboxOperatorUrl: urlAs(adminUrl.toString(), outboxOperatorRoleOf(service), rolePassword),
    createTable: (table, columns) =>
      withPgClient(adminUrl.toString(), async (admin) => {
        const role = quoteIdentifier(serviceRoleOf(service));
        await admin.query(`CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (${columns})`);
        await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${quoteIdentifier(table)} TO ${role}`);
        await admin.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      }),
    drop: async () => {
      await drop();
    },
  };
}

function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  return withPgClient(testEnv.postgresAdminUrl, work);
}
