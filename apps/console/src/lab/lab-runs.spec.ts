// Proves the console's lab runner with a real child process standing in for `npm run lab` (the real lab
// needs a whole PostgreSQL and Kafka; test/console.browser.int.spec.ts has those): one run at a time, the
// output's tail kept, the table read from lab-report.json once the run ended, "report pending" when the
// lab wrote none (even where an earlier console's run wrote one), a run stopped with its whole process
// group at its time limit or on stop(), no run at all where the repository is absent, and the output's
// lines kept whole however they arrive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabRuns, type LabRunView } from './lab-runs';

/**
 * Prints a line, waits until `<out>/../release` exists, then writes the report unless told not to. With
 * GRANDCHILD set, first starts a process of its own that never ends and writes its pid there.
 */
const STAND_IN = `
const fs = require('node:fs'), path = require('node:path'), { spawn } = require('node:child_process');
const out = process.argv[process.argv.indexOf('--out') + 1];
fs.mkdirSync(out, { recursive: true });
if (process.env.GRANDCHILD) {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  fs.writeFileSync(process.env.GRANDCHILD, String(child.pid));
}
console.log('[lab] seed 7; args ' + process.argv.slice(process.argv.indexOf('--transfers')).join(' '));
const wait = () => {
  if (!fs.existsSync(path.join(path.dirname(out), 'release'))) return setTimeout(wait, 20);
  if (process.env.WRITE_REPORT === 'yes')
    fs.writeFileSync(path.join(out, 'lab-report.json'), JSON.stringify({
      seed: 7, runId: 'r1', command: 'npm run lab -- --seed 7',
      columns: ['mode', 'lost', 'duplicated'],
      rows: [{ mode: 'at-most-once', label: 'at-most-once', cells: ['at-most-once', '3', '0'] }],
    }));
  console.error('done');
  process.exit(Number(process.env.EXIT_CODE ?? 0));
};
wait();
`;

function labRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'console-lab-'));
  fs.mkdirSync(path.join(root, 'scripts', 'lab'), { recursive: true });
  fs.writeFileSync(path.join(root, 'scripts', 'lab', 'run.ts'), '');
  return root;
}

function labRuns(root: string | undefined, env: Record<string, string>, timeoutMs?: number): LabRuns {
  const outRoot = root ? path.join(root, 'out') : os.tmpdir();
  return new LabRuns({
    repoRoot: root,
    outRoot,
    env: { PATH: process.env.PATH, ...env },
    command: [process.execPath, '-e', STAND_IN, '--'],
    timeoutMs,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls (bounded) until the pid written to `file` is gone; returns whether it went. */
async function gone(file: string): Promise<boolean> {
  const pid = Number(fs.readFileSync(file, 'utf8'));
  for (let i = 0; i < 1_000 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return !alive(pid);
}

/** Polls (bounded) until `file` exists. */
async function written(file: string): Promise<void> {
  for (let i = 0; i < 1_000 && !fs.existsSync(file); i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  if (!fs.existsSync(file)) throw new Error(`${file} was never written`);
}

/** Polls (bounded) until the run ended: the stand-in ends as soon as it is released. */
async function ended(runs: LabRuns): Promise<LabRunView> {
  for (let i = 0; i < 1_000; i++) {
    const run = runs.latest();
    if (run && run.status !== 'running') return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the lab run did not end: ${JSON.stringify(runs.latest())}`);
}

/**
 * Output that is hard to keep: a line far over the limit, a character split between two writes, and a
 * last line on stderr without its newline.
 */
const AWKWARD_OUTPUT = `
process.stdout.write('a'.repeat(100000));
process.stdout.write('\\n');
const euro = Buffer.from('€ sign\\n');
process.stdout.write(euro.subarray(0, 1));
setTimeout(() => {
  process.stdout.write(euro.subarray(1));
  process.stderr.write('fatal: no newline');
}, 50);
`;

describe('LabRuns', () => {
  it("keeps each stream's lines whole: cut at the limit, across chunks, and the last without a newline", async () => {
    const root = labRoot();
    const runs = new LabRuns({
      repoRoot: root,
      outRoot: path.join(root, 'out'),
      env: { PATH: process.env.PATH },
      command: [process.execPath, '-e', AWKWARD_OUTPUT, '--'],
    });
    runs.start();
    const run = await ended(runs);
    expect(run.logTail).toHaveLength(3);
    expect(run.logTail).toEqual(expect.arrayContaining(['a'.repeat(500), '€ sign', 'fatal: no newline']));
  });

  it('runs one lab at a time and shows its table once it ended', async () => {
    const root = labRoot();
    const runs = labRuns(root, { WRITE_REPORT: 'yes' });
    expect(runs.availability()).toEqual({ available: true });
    const first = runs.start();
    expect(first).toMatchObject({ started: true, run: { id: 1, status: 'running' } });
    expect(runs.start()).toMatchObject({ started: false, why: 'running', run: { id: 1 } });
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out', 'release'), '');
    const run = await ended(runs);
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(run.command).toContain('--transfers 40 --crashes 1 --out');
    expect(run.logTail).toEqual([expect.stringContaining('[lab] seed 7; args --transfers 40'), 'done']);
    expect(run.report?.rows[0]?.cells).toEqual(['at-most-once', '3', '0']);
    // Once it ended, another may start.
    expect(runs.start()).toMatchObject({ started: true, run: { id: 2 } });
    await ended(runs);
  });

  it('says "report pending" when the lab wrote no lab-report.json, and failed on a non-zero exit', async () => {
    const root = labRoot();
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out', 'release'), '');
    const runs = labRuns(root, { WRITE_REPORT: 'no', EXIT_CODE: '1' });
    runs.start();
    const run = await ended(runs);
    expect(run).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(run.report).toBeUndefined();
    expect(run.reportMissing).toMatch(/^report pending/);
  });

  it("shows no earlier console's report for a run that wrote none", async () => {
    const root = labRoot();
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out', 'release'), '');
    const earlier = labRuns(root, { WRITE_REPORT: 'yes' });
    earlier.start();
    expect((await ended(earlier)).report).toBeDefined();
    // A new console (ids start at 1 again) over the same folder, whose lab fails before its report.
    const later = labRuns(root, { WRITE_REPORT: 'no', EXIT_CODE: '1' });
    expect(later.start()).toMatchObject({ started: true, run: { id: 1 } });
    const run = await ended(later);
    expect(run.status).toBe('failed');
    expect(run.report).toBeUndefined();
    expect(run.reportMissing).toMatch(/^report pending/);
    expect(fs.readdirSync(path.join(root, 'out')).filter((name) => name.startsWith('run-'))).toHaveLength(2);
  });

  it('stops a run at its time limit, and another may start', async () => {
    // Never released: only the time limit ends it (stop(), below, shows the whole group goes).
    const runs = labRuns(labRoot(), {}, 1_000);
    runs.start();
    const run = await ended(runs);
    expect(run.status).toBe('failed');
    expect(run.logTail).toContain('stopped: still running after 1000 ms');
    expect(runs.start()).toMatchObject({ started: true, run: { id: 2 } });
    await runs.stop();
  });

  it('stops the running lab on stop(), as the console does when it closes', async () => {
    const root = labRoot();
    const grandchild = path.join(root, 'grandchild.pid');
    const runs = labRuns(root, { GRANDCHILD: grandchild });
    runs.start();
    await written(grandchild);
    await runs.stop();
    expect(runs.latest()).toMatchObject({ status: 'failed' });
    expect(runs.latest()?.logTail).toContain('stopped: the console is closing');
    expect(await gone(grandchild)).toBe(true);
    await runs.stop(); // nothing running: a no-op
  });

  it('is not available, and starts nothing, where the repository is absent', () => {
    const runs = labRuns(undefined, {});
    expect(runs.availability()).toMatchObject({
      available: false,
      reason: expect.stringContaining('CONSOLE_LAB_ROOT'),
    });
    expect(runs.start()).toMatchObject({ started: false, why: 'unavailable' });
    expect(runs.latest()).toBeUndefined();
  });
});
