// A whole local stack for one run of a tool (the benchmark, the API fuzzer): the services built, a
// PostgreSQL and a Kafka in a fresh data directory, every database migrated, the three services
// started the way `npm start` starts them, with `serviceEnv` on top of their usual environment.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { migrateDatabase } from '../db/migrate';
import { startLocalInfra } from '../infra/local-infra';
import { isPortOpen } from '../infra/net';
import { REPO_ROOT } from '../infra/paths';
import { stackConfig, stackServiceEnv } from '../infra/stack-config';
import { startService, type RunningService } from './service-process';

export interface FreshStackOptions {
  /** Wiped first: nothing an earlier run left behind changes this one. */
  dir: string;
  logLevel: string;
  serviceEnv: Record<string, string>;
  /** Node flags for the three services, after the usual ones (the benchmark's --cpu-profile). */
  serviceNodeFlags?: readonly string[];
  log: (line: string) => void;
  /** A service that exits while the stack runs; the run decides what that means. */
  onExit: (name: string, code: number | null) => void;
  /** Runs once every database is migrated, before any service starts (the benchmark's --prefill). */
  beforeServices?: () => Promise<void>;
}

/** The service ports already answering (a stack running, which a fresh one would collide with). */
export async function busyServicePorts(): Promise<number[]> {
  const ports = stackConfig.services.map((service) => stackConfig.servicePort(service));
  const open = await Promise.all(ports.map((port) => isPortOpen(port)));
  return ports.filter((_, index) => open[index]);
}

/** Every workspace built (turbo replays what has not changed): the services run from their dist/. */
export function buildWorkspaces(): void {
  execFileSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'turbo', 'bin', 'turbo'),
      'run',
      'build',
      '--output-logs=errors-only',
    ],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
}

export async function startFreshStack(options: FreshStackOptions): Promise<{ stop(): Promise<void> }> {
  buildWorkspaces();
  await fs.rm(options.dir, { recursive: true, force: true });
  const infra = await startLocalInfra(options.dir, options.log);
  const services: RunningService[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(services.map((service) => service.stop()));
    await infra.stop();
  };
  try {
    for (const service of stackConfig.services)
      await migrateDatabase(infra.postgresAdminUrl, service.name, service.database);
    await options.beforeServices?.();
    for (const service of stackConfig.services) {
      services.push(
        await startService(
          service,
          stackServiceEnv(service, options.logLevel, options.serviceEnv),
          options.onExit,
          {
            logFile: path.join(options.dir, 'logs', `${service.name}-service.log`),
            nodeFlags: options.serviceNodeFlags,
          },
        ),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
