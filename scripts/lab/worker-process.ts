// Runs one lab consumer as a child process and keeps it running: when it kills itself for a scheduled
// fault, it is started again at once with the faults still to come, and its group hands the partitions
// to the new member (after Kafka noticed the old one is gone: the session timeout). Any other exit is
// an error of the run.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from '../infra/paths';
import { WORKER_CONFIG_ENV, type DriverMessage, type WorkerConfig, type WorkerReport } from './worker-config';

const WORKER_ENTRY = path.join(__dirname, 'worker.ts');
const STOP_TIMEOUT_MS = 15_000;
const KEPT_LOG_LINES = 40;

export class WorkerProcess {
  private child: ChildProcess | null = null;
  private remainingFaults: WorkerConfig['faults'];
  private rebalanceAt: WorkerConfig['rebalanceAt'];
  private stopping = false;
  private failure: Error | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Scheduled faults that killed the process, in order. */
  readonly crashes: string[] = [];
  /** The last lines the processes printed, for an error message. */
  private readonly logs: string[] = [];

  constructor(
    private readonly config: WorkerConfig,
    private readonly log: (line: string) => void,
    /** Every report of the process, for a driver that waits for one (the rebalance fault). */
    private readonly onReport: (report: WorkerReport) => void = () => undefined,
    /** How the log names it: its role, unless there are two of that role. */
    private readonly name: string = config.role,
  ) {
    this.remainingFaults = config.faults;
    this.rebalanceAt = config.rebalanceAt;
  }

  /** Tells the running process something (the rebalance fault's `resume`). */
  send(message: DriverMessage): void {
    this.child?.send(message);
  }

  start(): void {
    this.spawnWorker();
  }

  /** The last lines the processes printed, for an error message. */
  recentLines(): string {
    return `${this.name} of ${this.config.groupId}:\n${this.logs.join('\n')}`;
  }

  /** Throws the reason the process ended, if it ended other than by a scheduled crash or stop(). */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Asks the process to finish the message in hand and leave; SIGKILL if it does not within 15 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    this.throwIfFailed();
  }

  /** Ends the process now, whatever it is doing (cleanup after a failed run). */
  async kill(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
  }

  private spawnWorker(): void {
    const config: WorkerConfig = {
      ...this.config,
      faults: this.remainingFaults,
      rebalanceAt: this.rebalanceAt,
    };
    // tsx compiles the worker on the fly, as it runs every script in scripts/.
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: REPO_ROOT,
      env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        this.logs.push(line);
        if (this.logs.length > KEPT_LOG_LINES) this.logs.shift();
      });
    }
    let crashingFor: string | null = null;
    const startedAt = Date.now();
    child.on('message', (message: WorkerReport) => {
      if (message.type === 'crashing') crashingFor = message.faultId;
      if (message.type === 'rebalance-point') this.rebalanceAt = null;
      if (message.type === 'ready')
        this.log(`${this.name} joined its group ${formatSeconds(Date.now() - startedAt)} after start`);
      this.onReport(message);
    });
    // 'close', not 'exit': 'exit' can arrive before the 'crashing' report the worker sent just ahead
    // of its SIGKILL (seen in CI), which would make a scheduled crash look unexpected. 'close' comes
    // after the IPC channel and the output streams are drained.
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.onExit(crashingFor, code, signal);
        resolve();
      }),
    );
  }

  private onExit(crashingFor: string | null, code: number | null, signal: NodeJS.Signals | null): void {
    if (crashingFor !== null && signal === 'SIGKILL') {
      this.crashes.push(crashingFor);
      this.remainingFaults = this.remainingFaults.filter((fault) => fault.id !== crashingFor);
      this.log(`${this.name} killed at ${crashingFor}${this.stopping ? '' : '; restarting it'}`);
      if (!this.stopping) this.spawnWorker();
      return;
    }
    if (this.stopping) return;
    this.failure = new Error(
      `the ${this.name} process of ${this.config.groupId} ended unexpectedly ` +
        `(${signal ?? `exit code ${code}`}):\n${this.logs.join('\n')}`,
    );
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
