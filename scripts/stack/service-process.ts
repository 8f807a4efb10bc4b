// Runs one built service (or the console) as a child process, prefixes its log lines (or appends them
// to a file), and waits for GET /health.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from '../infra/paths';
import { SERVICE_NODE_FLAGS, type ServiceSpec } from '../infra/services';

export interface RunningService {
  stop(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * `logFile`: the service writes its output straight into this file instead of through this process
 * (the benchmark's choice, so printing a line per transfer costs the load generator nothing).
 * `nodeFlags`: after SERVICE_NODE_FLAGS (the benchmark's --cpu-profile; Node refuses --cpu-prof in
 * NODE_OPTIONS).
 */
export interface StartOptions {
  logFile?: string;
  nodeFlags?: readonly string[];
}

export async function startService(
  service: ServiceSpec,
  env: Record<string, string>,
  onUnexpectedExit: (name: string, code: number | null) => void,
  options: StartOptions = {},
): Promise<RunningService> {
  return startApp(`${service.name}-service`, service.workspace, env, onUnexpectedExit, options);
}

/** Any app of the stack that serves GET /health: `name` prefixes its lines, `workspace` holds its dist/. */
export async function startApp(
  name: string,
  workspace: string,
  env: Record<string, string>,
  onUnexpectedExit: (name: string, code: number | null) => void,
  options: StartOptions = {},
): Promise<RunningService> {
  const logFd = options.logFile === undefined ? undefined : fs.openSync(options.logFile, 'a');
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, ...(options.nodeFlags ?? []), path.join(REPO_ROOT, workspace, 'dist', 'main.js')],
    {
      cwd: path.join(REPO_ROOT, workspace),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env },
      stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
    },
  );
  if (logFd !== undefined) fs.closeSync(logFd);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (!stopping) onUnexpectedExit(name, code);
  });
  await waitForHealthy(name, Number(env.PORT), exited, options.logFile ?? 'its log lines above');
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

async function waitForHealthy(
  name: string,
  port: number,
  exited: Promise<number | null>,
  logs: string,
): Promise<void> {
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
      ? `${name} exited during start-up (see ${logs})`
      : `${name} was not healthy within ${HEALTH_TIMEOUT_MS} ms`,
  );
}
