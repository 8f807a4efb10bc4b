// The services a cross-service spec runs against: each on a test database of its own, started together
// and ended together. Every cross-service spec boots its services through this, so none can forget to
// drop a database or leave a process running when one of the others failed to start. Each service is a
// process of its own, the way `npm start` and production run it: several Nest apps inside one jest
// worker would share one Prisma WebAssembly engine between module registries, which corrupts its memory.
import type { ServiceSpec } from '../../scripts/infra/services';
import { createTestDatabase, type TestDatabase } from './database';
import { startKillableService, type KillableService } from './killable-service';

type ServiceName = ServiceSpec['name'];

export interface BootedServices<N extends ServiceName> {
  service(name: N): KillableService;
  database(name: N): TestDatabase;
  baseUrl(name: N): string;
  /** SIGTERM to every service, then every database dropped; throws after trying all if any failed. */
  stop(): Promise<void>;
}

/**
 * Starts `names` at once, each on a fresh database, with `env` on top of the test environment. When
 * one fails, the others that did start are stopped and every database is dropped before it throws.
 */
export async function bootServices<N extends ServiceName>(
  names: readonly N[],
  env: Partial<Record<N, Record<string, string>>> = {},
): Promise<BootedServices<N>> {
  const databases = new Map<N, TestDatabase>();
  const services = new Map<N, KillableService>();
  const booted: BootedServices<N> = {
    service: (name) => found(services, name, 'service'),
    database: (name) => found(databases, name, 'database'),
    baseUrl: (name) => found(services, name, 'service').baseUrl,
    async stop() {
      const ended = await Promise.allSettled(
        [...services.values()].map((service) => service.kill('SIGTERM')),
      );
      const dropped = await Promise.allSettled([...databases.values()].map((database) => database.drop()));
      const failures = [...ended, ...dropped].flatMap((result) =>
        result.status === 'rejected' ? [result.reason as unknown] : [],
      );
      if (failures.length > 0) throw new AggregateError(failures, 'bootServices: could not stop everything');
    },
  };
  const started = await Promise.allSettled(
    names.map(async (name) => {
      const database = await createTestDatabase(name);
      databases.set(name, database);
      services.set(name, await startKillableService(name, database.url, { env: env[name] ?? {} }));
    }),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    // The boot's own failure is the one worth reporting; what stop() could not end is secondary.
    await booted.stop().catch(() => undefined);
    throw failed.reason;
  }
  return booted;
}

function found<N, T>(map: Map<N, T>, name: N, what: string): T {
  const value = map.get(name);
  if (value === undefined) throw new Error(`no ${what} ${String(name)} was booted`);
  return value;
}
