// A built service as a child process with the test run's environment, started once healthy. It exposes
// the pid and kill(signal) so fault-injection tests can crash it, and it can be started again on a given
// port, so a "restarted" service answers where its clients already send their requests.
// bootServices (boot-services.ts) is how most cross-service tests use it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../../scripts/infra/net';
import { REPO_ROOT } from '../../scripts/infra/paths';
import {
  RATE_LIMIT_LIFTED,
  SERVICE_NODE_FLAGS,
  SERVICES,
  type ServiceSpec,
} from '../../scripts/infra/services';
import { testEnv } from './env';
import { TEST_API_KEYS, TEST_KAFKA_NAMESPACE } from './service';

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface KillableService {
  name: ServiceSpec['name'];
  pid: number;
  port: number;
  baseUrl: string;
  /** Everything the process printed. */
  logs: string[];
  /** Resolves with the exit code (null when a signal ended it) once the process is gone. */
  exited: Promise<number | null>;
  /** Sends `signal` and waits (bounded) until the process is gone; SIGKILL after STOP_TIMEOUT_MS. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Every process started here that has not exited yet: for an afterAll that must leave none behind. */
const alive = new Set<ChildProcess>();

export async function startKillableService(
  name: ServiceSpec['name'],
  databaseUrl: string,
  options: {
    port?: number;
    env?: Record<string, string>;
    /** Started once this answers 200: readiness (consumers joined) by default, or only liveness. */
    healthPath?: '/health/ready' | '/health/live';
  } = {},
): Promise<KillableService> {
  const spec = SERVICES.find((service) => service.name === name);
  if (!spec) throw new Error(`unknown service ${name}`);
  const port = options.port ?? (await freePort());
  const logs: string[] = [];
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, path.join(REPO_ROOT, spec.workspace, 'dist', 'main.js')],
    {
      cwd: path.join(REPO_ROOT, spec.workspace),
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'development',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
        KAFKA_NAMESPACE: TEST_KAFKA_NAMESPACE,
        API_KEYS: TEST_API_KEYS,
        ...RATE_LIMIT_LIFTED,
        LOG_LEVEL: 'log',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  alive.add(child);
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => logs.push(line));
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      alive.delete(child);
      resolve(code);
    }),
  );
  const service: KillableService = {
    name,
    pid: child.pid ?? -1,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitForHealthy(port, options.healthPath ?? '/health/ready', exited);
  } catch (error) {
    await service.kill('SIGKILL');
    throw new Error(`${name}-service: ${String(error)}\n${logs.slice(-30).join('\n')}`);
  }
  return service;
}

/** Kills (SIGKILL) every process startKillableService started that is still running. */
export async function killAllKillableServices(): Promise<void> {
  await Promise.all(
    [...alive].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

async function waitForHealthy(
  port: number,
  healthPath: string,
  exited: Promise<number | null>,
): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    const response = await fetch(`http://127.0.0.1:${port}${healthPath}`).catch(() => null);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(dead ? 'exited during start-up' : `not healthy within ${HEALTH_TIMEOUT_MS} ms`);
}
