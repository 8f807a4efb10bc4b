// The Docker engine and the Compose the smoke test drives. On a fresh machine of the kind OncePay is
// tested on, neither runs: Debian's docker.io is installed and dockerd started by hand (and stopped
// again at the end), and Compose is v2 (`docker compose`) when the CLI has it, else Debian's v1.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { docker, run, SMOKE_DIR } from './docker';

const ENGINE_START_TIMEOUT_MS = 60_000;
const ENGINE_STOP_TIMEOUT_MS = 30_000;

export interface DockerEngine {
  /** True when this process started dockerd (and so stops it). */
  startedHere: boolean;
  version: string;
  stop(): Promise<void>;
}

/** Uses the running engine, or installs (when missing) and starts one. */
export async function ensureDockerEngine(log: (line: string) => void): Promise<DockerEngine> {
  const running = await engineVersion();
  if (running) return { startedHere: false, version: running, stop: () => Promise.resolve() };
  if (!(await onPath('dockerd'))) {
    log('no Docker engine: installing Debian docker.io');
    await aptInstall('docker.io');
  }
  const logFile = path.join(SMOKE_DIR, 'dockerd.log');
  fs.mkdirSync(SMOKE_DIR, { recursive: true });
  log(`starting dockerd (log: ${logFile})`);
  const out = fs.openSync(logFile, 'a');
  const daemon = spawn('dockerd', [], { stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const deadline = Date.now() + ENGINE_START_TIMEOUT_MS;
  for (;;) {
    const version = await engineVersion();
    if (version) return { startedHere: true, version, stop: () => stopDaemon(daemon) };
    if (daemon.exitCode !== null || Date.now() > deadline)
      throw new Error(`dockerd did not start (exit ${daemon.exitCode}); see ${logFile}`);
    await sleep(500);
  }
}

export interface Compose {
  /** What runs: `docker compose` (the CLI plugin), a Compose binary, or Debian's `docker-compose` v1. */
  label: string;
  version: string;
  command: string;
  baseArgs: string[];
}

// Compose v2 and later (`docker compose`) is what users run. Debian ships only v1, and Docker's own
// packages are out of reach here, but Compose is a Go module, so where the docker CLI has no plugin it
// is built from the Go module proxy (once; Go's build cache keeps later builds short). 5.6.0 is the
// newest release that builds with this machine's Go 1.26.8.
const COMPOSE_MODULE = 'github.com/docker/compose/v5';
const COMPOSE_VERSION = 'v5.6.0';
const COMPOSE_BINARY = path.join(SMOKE_DIR, `compose-${COMPOSE_VERSION}`, 'docker-compose');

/**
 * `docker compose` when the CLI has the plugin; else Compose built from its Go module when Go is there;
 * else Debian's docker-compose v1 (installed if missing).
 */
export async function findCompose(log: (line: string) => void): Promise<Compose> {
  const plugin = await run('docker', ['compose', 'version', '--short'], { allowFailure: true });
  if (plugin.code === 0)
    return {
      label: 'docker compose',
      version: plugin.stdout.trim(),
      command: 'docker',
      baseArgs: ['compose'],
    };
  if (fs.existsSync(COMPOSE_BINARY) || ((await onPath('go')) && (await buildCompose(log)))) {
    const built = await run(COMPOSE_BINARY, ['version', '--short']);
    return {
      label: `Compose (${COMPOSE_BINARY})`,
      version: built.stdout.trim(),
      command: COMPOSE_BINARY,
      baseArgs: [],
    };
  }
  if (!(await onPath('docker-compose'))) {
    log('no Compose: installing Debian docker-compose');
    await aptInstall('docker-compose');
  }
  const v1 = await run('docker-compose', ['version', '--short']);
  return { label: 'docker-compose', version: v1.stdout.trim(), command: 'docker-compose', baseArgs: [] };
}

/** Builds Compose from the Go module proxy into COMPOSE_BINARY; false (and why, logged) when it cannot. */
async function buildCompose(log: (line: string) => void): Promise<boolean> {
  log(`building Compose ${COMPOSE_VERSION} from its Go module (a few minutes the first time)`);
  const env = { GOFLAGS: '-mod=mod' };
  const source = path.join(SMOKE_DIR, `compose-${COMPOSE_VERSION}-src`);
  try {
    const download = await run('go', ['mod', 'download', '-json', `${COMPOSE_MODULE}@${COMPOSE_VERSION}`], {
      env,
    });
    const { Dir: moduleDir } = JSON.parse(download.stdout) as { Dir: string };
    // The module cache is read-only, and building resolves the module's own dependencies into go.sum.
    fs.rmSync(source, { recursive: true, force: true });
    fs.cpSync(moduleDir, source, { recursive: true });
    await run('chmod', ['-R', 'u+w', source]);
    const ldflags = `-s -w -X ${COMPOSE_MODULE}/internal.Version=${COMPOSE_VERSION}`;
    await run('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', COMPOSE_BINARY, './cmd'], {
      cwd: source,
      env,
    });
    return true;
  } catch (error) {
    log(`could not build Compose ${COMPOSE_VERSION}: ${error instanceof Error ? error.message : error}`);
    return false;
  } finally {
    fs.rmSync(source, { recursive: true, force: true });
  }
}

async function engineVersion(): Promise<string | undefined> {
  const info = await docker(['version', '--format', '{{.Server.Version}}'], { allowFailure: true });
  return info.code === 0 ? info.stdout.trim() : undefined;
}

async function stopDaemon(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.kill('SIGTERM');
  const timer = setTimeout(() => daemon.kill('SIGKILL'), ENGINE_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

export async function onPath(tool: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${tool}`], { allowFailure: true })).code === 0;
}

/** apt-get install, with one `apt-get update` first when the package lists are stale or missing. */
export async function aptInstall(pkg: string): Promise<void> {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const first = await run('apt-get', ['install', '-y', '-qq', pkg], { env, allowFailure: true });
  if (first.code === 0) return;
  await run('apt-get', ['update', '-qq'], { env });
  await run('apt-get', ['install', '-y', '-qq', pkg], { env });
}
