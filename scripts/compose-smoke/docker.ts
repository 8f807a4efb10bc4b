// Runs the docker CLI (and docker-compose) for the compose smoke test: one place that spawns them,
// captures their output and fails with it, so every step reads as one line of TypeScript.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { DATA_DIR } from '../infra/paths';

/** Everything the smoke test writes (stand-in build contexts, the base root file system, logs). */
export const SMOKE_DIR = path.join(DATA_DIR, 'compose-smoke');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment on top of this process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** Text written to the command's standard input (then closed). */
  input?: string | Buffer;
  /** Stream the command's output to this process's stderr as it runs (long builds). */
  echo?: boolean;
  /** Return a non-zero exit as a result instead of throwing. */
  allowFailure?: boolean;
}

/** Runs `command args...` to completion; throws with its output when it exits non-zero. */
export function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (opts.echo) process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (opts.echo) process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const result = { code, stdout, stderr };
      if (code === 0 || opts.allowFailure) resolve(result);
      else
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${tail(stderr || stdout, 40)}`));
    });
    child.stdin.end(opts.input);
  });
}

/** `docker args...` */
export function docker(args: string[], opts?: RunOptions): Promise<RunResult> {
  return run('docker', args, opts);
}

/** True when an image with this name:tag exists locally (never pulls). */
export async function imageExists(image: string): Promise<boolean> {
  const result = await docker(['image', 'inspect', image], { allowFailure: true });
  return result.code === 0;
}

/** The image's size in bytes, as `docker image inspect` reports it. */
export async function imageSize(image: string): Promise<number> {
  const { stdout } = await docker(['image', 'inspect', '--format', '{{.Size}}', image]);
  return Number(stdout.trim());
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
