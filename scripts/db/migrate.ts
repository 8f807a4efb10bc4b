// Applies each service's migrations (prisma/<service>/migrations) to its database, as
// `prisma migrate deploy` would, with Prisma's WebAssembly schema engine (no download needed).
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, isRetriableError } from '@oncepay/sql';
import { Client } from 'pg';
import { ensureDatabase } from '../infra/postgres';
import type { ServiceSpec } from '../infra/services';
import { postgresUrl, stackConfig } from '../infra/stack-config';
import { applyMigrations } from './schema-engine';
import { migrationsDirOf } from './schema-paths';

/** Creates the database when missing, then applies the service's pending migrations to it. */
export async function migrateDatabase(
  adminUrl: string,
  service: ServiceSpec['name'],
  database: string,
): Promise<string[]> {
  await ensureDatabase(adminUrl, database);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return applyMigrations({ databaseUrl: url.toString(), migrationsDir: migrationsDirOf(service) });
}

/**
 * `tsx scripts/db/migrate.ts`: every database of the local stack.
 * `tsx scripts/db/migrate.ts <service> <database url>`: one service's database (the compose stack's
 * migration containers), which must already exist.
 */
async function main(): Promise<void> {
  const [serviceName, databaseUrl] = process.argv.slice(2);
  if (serviceName !== undefined) {
    const service = stackConfig.services.find((s) => s.name === serviceName);
    if (!service || !databaseUrl)
      throw new Error('usage: migrate.ts [<transfer|ledger|notification> <database url>]');
    const applied = await applyMigrations({ databaseUrl, migrationsDir: migrationsDirOf(service.name) });
    console.log(`${service.name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
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
