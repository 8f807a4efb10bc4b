// What the benchmark reads from Linux's /proc: a process's CPU time and memory, its children, and which
// process listens on a TCP port. The parsers are pure (tested on fixed text); the readers return null
// when a process is gone or unreadable instead of throwing, because processes come and go while sampled.
// They read synchronously: /proc's files are made by the kernel on read and never wait on a disk, and
// fs.promises' open, stat, read and close, each a trip through the thread pool, cost the load generator
// more of its own thread than the reads themselves (sampling PostgreSQL's backends 4 times a second
// took about a tenth of a core under load, as much as sending the transfers).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** Clock ticks (CLK_TCK) spent in user and kernel mode by the process itself, all its threads. */
  utime: number;
  stime: number;
  /** Clock ticks of its children that exited and were waited for: a PostgreSQL backend ends up here. */
  cutime: number;
  cstime: number;
}

/**
 * Parses /proc/<pid>/stat. The command name is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17), 1-based as in proc(5).
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const field = (n: number): number => {
    const value = Number(rest[n - 3]);
    if (!Number.isFinite(value)) throw new Error(`field ${n} of /proc/<pid>/stat is not a number`);
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

/** The `<key>: <n> kB` line of /proc/<pid>/status or smaps_rollup, in bytes; null when absent. */
export function parseKbField(text: string, key: string): number | null {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : null;
}

/**
 * The socket inodes listening on `port` in a /proc/net/tcp or tcp6 table (state 0A is LISTEN; the
 * local address is `hexaddr:hexport`).
 */
export function listeningInodes(table: string, port: number): number[] {
  const inodes: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (!local || fields[3] !== '0A') continue;
    const hexPort = local.slice(local.lastIndexOf(':') + 1);
    if (parseInt(hexPort, 16) === port) inodes.push(Number(fields[9]));
  }
  return inodes;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function readStat(pid: number): ProcStat | null {
  const text = readText(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text);
}

export interface ProcMemory {
  /** VmRSS: everything resident, shared pages included. */
  rssBytes: number;
  /** RssAnon: private memory (heap, stacks), resident. */
  anonBytes: number;
  /** RssFile + RssShmem: resident pages that other processes may map too (libraries, shared memory). */
  fileBytes: number;
  shmemBytes: number;
}

/** Parses the memory lines of /proc/<pid>/status (cheap to read, unlike smaps_rollup's PSS). */
export function parseMemory(status: string): ProcMemory | null {
  const rssBytes = parseKbField(status, 'VmRSS');
  if (rssBytes === null) return null;
  return {
    rssBytes,
    anonBytes: parseKbField(status, 'RssAnon') ?? rssBytes,
    fileBytes: parseKbField(status, 'RssFile') ?? 0,
    shmemBytes: parseKbField(status, 'RssShmem') ?? 0,
  };
}

export function readMemory(pid: number): ProcMemory | null {
  const text = readText(`/proc/${pid}/status`);
  return text === null ? null : parseMemory(text);
}

/** The live direct children of `pid` (from /proc/<pid>/task/<tid>/children, or a scan of /proc). */
export function childrenOf(pid: number): number[] {
  const tasks = safeReaddir(`/proc/${pid}/task`);
  const viaTasks = tasks.map((tid) => readText(`/proc/${pid}/task/${tid}/children`));
  if (tasks.length > 0 && viaTasks.every((text) => text !== null)) {
    return viaTasks.flatMap((text) => (text ?? '').split(/\s+/).filter(Boolean).map(Number));
  }
  const candidates = numericEntries('/proc');
  const stats = candidates.map(readStat);
  return candidates.filter((_, i) => stats[i]?.ppid === pid);
}

/** The process holding a socket that listens on 127.0.0.1/0.0.0.0/:: `port`, or null when none is found. */
export function pidListeningOn(port: number): number | null {
  const inodes = new Set(
    ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) => listeningInodes(readText(table) ?? '', port)),
  );
  if (inodes.size === 0) return null;
  for (const pid of numericEntries('/proc')) {
    for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
      let link: string;
      try {
        link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode && inodes.has(Number(inode))) return pid;
    }
  }
  return null;
}

/** The parent of a process, read synchronously (for a one-time look-up); null when it is gone. */
export function readParentPid(pid: number): number | null {
  const text = readText(`/proc/${pid}/stat`);
  return text === null ? null : parseStat(text).ppid;
}

/** The command line of a process, arguments joined by spaces; empty when unreadable. */
export function readCmdline(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

let ticks: number | undefined;
/** Clock ticks per second of the stat times (`getconf CLK_TCK`; 100 on every common Linux). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function numericEntries(dir: string): number[] {
  return safeReaddir(dir)
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}
