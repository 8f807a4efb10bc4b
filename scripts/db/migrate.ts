// Applies each service's migrations (prisma/<service>/migrations) to its database, as
// `prisma migrate deploy` would, with Prisma's WebAssembly schema engine (no download needed).
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, isRetriableError } from '@oncepay/sql';
import { Client } from 'pg';
import type { ServiceSpec } from '../infra/services';
import { postgresUrl, stackConfig } from '../infra/stack-config';
import { asOwner, grantServicePrivileges, provisionDatabase } from './roles';
import { applyMigrations } from './schema-engine';
import { migrationsDirOf } from './schema-paths';

/**
 * Provisions the service's roles and `database` as the superuser of `adminUrl` (scripts/db/roles.ts),
 * then, acting as the database's owner, applies the pending migrations and grants the service role its
 * privileges. Returns the migrations applied.
 */
export async function migrateDatabase(
  adminUrl: string,
  service: ServiceSpec['name'],
  database: string,
): Promise<string[]> {
  await provisionDatabase(adminUrl, service, database, stackConfig.postgres.rolePassword);
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const ownerUrl = asOwner(databaseUrl.toString(), service);
  const applied = await applyMigrations({ databaseUrl: ownerUrl, migrationsDir: migrationsDirOf(service) });
  await grantServicePrivileges(ownerUrl, service);
  return applied;
}

/**
 * `tsx scripts/db/migrate.ts`: every database of the local stack (and the compose stack's migration
 * step, which points ONCEPAY_POSTGRES_HOST at its PostgreSQL).
 * `tsx scripts/db/migrate.ts <service> <admin url> <database>`: one service's database on the server of
 * `<admin url>` (a superuser's), created when missing.
 */
async function main(): Promise<void> {
  const [serviceName, adminUrl, database] = process.argv.slice(2);
  if (serviceName !== undefined) {
    const service = stackConfig.services.find((s) => s.name === serviceName);
    if (!service || !adminUrl || !database)
      throw new Error('usage: migrate.ts [<transfer|ledger|notification> <admin url> <database>]');
    const applied = await migrateDatabase(adminUrl, service.name, database);
    console.log(`${database}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
    return;
  }
  await untilPostgresAnswers(postgresUrl('postgres'));
  for (const service of stackConfig.services) {
    const applied = await migrateDatabase(postgresUrl('postgres'), service.name, service.database);
    console.log(`${service.database}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  }
}

const CONNECT_TIMEOUT_MS = 120_000;

/**
 * Waits (bounded) until PostgreSQL accepts a connection, so a migration step started while the server
 * is still starting retries instead of failing the whole `docker compose up`. Other errors fail at once.
 */
async function untilPostgresAnswers(adminUrl: string): Promise<void> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    const client = new Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      // The consumers' test for "the database is away, not wrong": refused, unknown host, starting up...
      if (!isRetriableError(error) || Date.now() > deadline) throw error;
      console.log(`PostgreSQL is not ready yet (${describeError(error)}); retrying`);
      await sleep(1_000);
    }
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
