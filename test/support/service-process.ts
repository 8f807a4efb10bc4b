// Runs a built service as its own process, the way `npm start` and production do, against the test
// run's PostgreSQL and Kafka. Cross-service tests use this: several Nest apps inside one jest worker
// would share one Prisma WebAssembly engine between module registries, which corrupts its memory.
import type { ServiceSpec } from '../../scripts/infra/services';
import { startKillableService } from './killable-service';

export interface ServiceProcess {
  name: ServiceSpec['name'];
  baseUrl: string;
  /** Everything the process printed, for a failing test's message or to follow a correlation id. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startServiceProcess(
  name: ServiceSpec['name'],
  databaseUrl: string,
): Promise<ServiceProcess> {
  const service = await startKillableService(name, databaseUrl);
  return { name, baseUrl: service.baseUrl, logs: service.logs, stop: () => service.kill('SIGTERM') };
}
