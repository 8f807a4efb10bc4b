// The delivery-semantics lab started from the console: `npm run lab` as a child process from the
// repository's root, one run at a time, its output kept as a bounded tail, and, once it ended, the table
// it wrote to lab-report.json (shape in scripts/lab; read, never imported, so the console needs nothing of
// the lab's code). The lab needs the repository, PostgreSQL admin access and Kafka, as on `npm start`'s
// machine; where the repository is absent (an image of the console alone) it is not available, and the
// page says so instead of offering a button that fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';

/** The lab's arguments from the console: small enough to finish in a minute or two on a laptop. */
export const CONSOLE_LAB_ARGS = ['--transfers', '40', '--crashes', '1'] as const;
export const LAB_REPORT_JSON = 'lab-report.json';
const LOG_TAIL_LINES = 60;
const MAX_LINE_CHARS = 500;
/** How long a stopped run's process group has after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;
export const DEFAULT_LAB_TIMEOUT_MS = 600_000;

export const labReportSchema = z.object({
  seed: z.number().int(),
  runId: z.string(),
  command: z.string(),
  columns: z.array(z.string()).max(50),
  rows: z
    .array(z.object({ mode: z.string(), label: z.string(), cells: z.array(z.string()).max(50) }))
    .max(50),
});
export type LabReport = z.infer<typeof labReportSchema>;

export type LabRunStatus = 'running' | 'succeeded' | 'failed';

export interface LabRunView {
  id: number;
  status: LabRunStatus;
  command: string;
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  logTail: string[];
  /** The table, once the run ended and wrote lab-report.json. */
  report?: LabReport;
  /** Why there is no table after the run ended (the lab writes only its markdown, or the file is bad). */
  reportMissing?: string;
}

export type LabAvailability = { available: true } | { available: false; reason: string };

export interface LabRunsOptions {
  /** The repository's root, or undefined where the console runs without it. */
  repoRoot: string | undefined;
  /**
   * Where each run writes its report: a folder of its own under it, named by its start time and a random
   * part, so no run (of this process or an earlier one) can show another's lab-report.json.
   */
  outRoot: string;
  /** The lab's environment (where PostgreSQL and Kafka are: ONCEPAY_POSTGRES_PORT, ...). */
  env: Record<string, string | undefined>;
  /** The program and its leading arguments; `npm run lab --` unless a test puts a stand-in there. */
  command?: readonly string[];
  /** A run still going after this long is stopped, its whole process group (DEFAULT_LAB_TIMEOUT_MS). */
  timeoutMs?: number;
  now?: () => Date;
}

export type StartResult =
  | { started: true; run: LabRunView }
  | { started: false; why: 'running'; run: LabRunView }
  | { started: false; why: 'unavailable'; reason: string };

export class LabRuns {
  private current: LabRunView | undefined;
  /** The running lab's process and its timer, while one runs. */
  private running: { child: ChildProcess; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;
  private readonly command: readonly string[];
  private readonly now: () => Date;

  constructor(private readonly options: LabRunsOptions) {
    this.command = options.command ?? ['npm', 'run', 'lab', '--'];
    this.now = options.now ?? (() => new Date());
  }

  availability(): LabAvailability {
    const root = this.options.repoRoot;
    if (root === undefined)
      return {
        available: false,
        reason: 'the lab runs only where the repository is (npm start); CONSOLE_LAB_ROOT is not set',
      };
    if (!fs.existsSync(path.join(root, 'scripts', 'lab', 'run.ts')))
      return { available: false, reason: `no scripts/lab/run.ts under ${root}` };
    return { available: true };
  }

  latest(): LabRunView | undefined {
    return this.current && { ...this.current, logTail: [...this.current.logTail] };
  }

  start(): StartResult {
    const availability = this.availability();
    if (!availability.available) return { started: false, why: 'unavailable', reason: availability.reason };
    if (this.current?.status === 'running') return { started: false, why: 'running', run: this.latest()! };
    const id = this.nextId++;
    const startedAt = this.now();
    const outDir = path.join(
      this.options.outRoot,
      `run-${startedAt.toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`,
    );
    const [program, ...leading] = this.command as [string, ...string[]];
    const args = [...leading, ...CONSOLE_LAB_ARGS, '--out', outDir];
    const run: LabRunView = {
      id,
      status: 'running',
      command: [program, ...args].join(' '),
      startedAt: startedAt.toISOString(),
      logTail: [],
    };
    this.current = run;
    // A process group of its own (detached), so a stop reaches npm's children too: the lab itself.
    const child = spawn(program, args, {
      cwd: this.options.repoRoot,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_LAB_TIMEOUT_MS;
    const timer = setTimeout(() => void this.stop(`stopped: still running after ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    this.running = { child, timer };
    keepLines(child.stdout, run);
    keepLines(child.stderr, run);
    child.once('error', (error) => {
      run.logTail.push(`could not start the lab: ${error.message}`);
      this.finish(run, null, outDir);
    });
    child.once('close', (code) => this.finish(run, code, outDir));
    return { started: true, run: this.latest()! };
  }

  /**
   * Stops the running lab, if any: SIGTERM to its process group, SIGKILL after a grace. The run ends
   * (failed) when the process closes. Resolves once it closed.
   */
  async stop(why = 'stopped: the console is closing'): Promise<void> {
    const running = this.running;
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
    this.current?.logTail.push(why);
    const closed = new Promise<void>((resolve) => running.child.once('close', () => resolve()));
    killGroup(running.child, 'SIGTERM');
    const kill = setTimeout(() => killGroup(running.child, 'SIGKILL'), KILL_GRACE_MS);
    kill.unref();
    await closed;
    clearTimeout(kill);
  }

  private finish(run: LabRunView, code: number | null, outDir: string): void {
    if (run.status !== 'running') return;
    if (this.running) clearTimeout(this.running.timer);
    this.running = undefined;
    run.exitCode = code;
    run.endedAt = this.now().toISOString();
    run.status = code === 0 ? 'succeeded' : 'failed';
    const report = readReport(path.join(outDir, LAB_REPORT_JSON));
    if ('report' in report) run.report = report.report;
    else run.reportMissing = report.missing;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Keeps the last LOG_TAIL_LINES lines of `stream` in the run's log tail, each cut at MAX_LINE_CHARS. One
 * per stream, so stdout's and stderr's lines never merge; read as UTF-8 across chunks, so a character
 * split between two chunks stays whole; a line still waiting for its newline is held at most
 * MAX_LINE_CHARS long (a progress bar drawn with \r never ends one); and the last line is kept when the
 * stream ends without a newline, as a fatal message often does.
 */
function keepLines(stream: Readable, run: LabRunView): void {
  const keep = (line: string): void => {
    if (line.trim() === '') return;
    run.logTail.push(line.slice(0, MAX_LINE_CHARS));
    if (run.logTail.length > LOG_TAIL_LINES) run.logTail.shift();
  };
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = (lines.pop() ?? '').slice(0, MAX_LINE_CHARS);
    for (const line of lines) keep(line);
  });
  stream.once('end', () => keep(partial));
}

function readReport(file: string): { report: LabReport } | { missing: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { missing: `report pending: the lab wrote no ${LAB_REPORT_JSON}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { missing: `${LAB_REPORT_JSON} is not JSON` };
  }
  const parsed = labReportSchema.safeParse(json);
  return parsed.success
    ? { report: parsed.data }
    : { missing: `${LAB_REPORT_JSON} has an unexpected shape: ${parsed.error.issues[0]?.message}` };
}
