// Runs one built service as a child process, prefixes its log lines, and waits for GET /health.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from '../infra/paths';
import type { ServiceSpec } from '../infra/services';

export interface RunningService {
  stop(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export async function startService(
  service: ServiceSpec,
  env: Record<string, string>,
  onUnexpectedExit: (name: string, code: number | null) => void,
): Promise<RunningService> {
  const name = `${service.name}-service`;
  const child = spawn(process.execPath, [path.join(REPO_ROOT, service.workspace, 'dist', 'main.js')], {
    cwd: path.join(REPO_ROOT, service.workspace),
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (!stopping) onUnexpectedExit(name, code);
  });
  await waitForHealthy(name, Number(env.PORT), exited);
  return {
    async stop() {
      stopping = true;
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForHealthy(name: string, port: number, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(
    dead
      ? `${name} exited during start-up (see its log lines above)`
      : `${name} was not healthy within ${HEALTH_TIMEOUT_MS} ms`,
  );
}
