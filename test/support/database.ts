// Gives each test file a database of its own, cloned from the service's migrated template, so test
// files never see each other's rows and can run in parallel.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { templateDatabaseOf, testDatabasePrefixOf, type ServiceSpec } from '../../scripts/infra/services';
import { testEnv } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(service: ServiceSpec['name']): Promise<TestDatabase> {
  const name = `${testDatabasePrefixOf(testEnv.runId)}${service}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabaseOf(service, testEnv.runId)}"`);
  const url = new URL(testEnv.postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: testEnv.postgresAdminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
