// CPU seconds and peak memory of the processes a benchmark loads: each service, PostgreSQL (the
// postmaster and every backend), the Kafka broker and the load generator itself.
// - CPU seconds over a window are the growth of utime+stime between its two ends. For a process with
//   children (PostgreSQL) that is the postmaster's own time, plus its live children's, plus cutime+cstime:
//   a backend that exits is reaped by the postmaster and its whole CPU time moves into those.
// - Peak memory is the largest VmRSS seen by a sample every `intervalMs` during the window (VmHWM would
//   be the peak since the process started, before the benchmark). For a process with children the sum
//   of their RSS counts shared memory (shared_buffers) once per process, so the group also gets an
//   estimate that counts it once: the sum of private memory (RssAnon) plus the largest shared part
//   (RssShmem, RssFile) any one of them maps. (PSS from smaps_rollup would be exact, but reading it
//   costs milliseconds per process, on the machine being measured.)
import { childrenOf, clockTicksPerSecond, readMemory, readStat, type ProcMemory } from './proc';

export interface MonitoredProcess {
  /** How the report names it, e.g. `transfer-service`, `postgresql`. */
  name: string;
  kind: 'service' | 'postgresql' | 'kafka' | 'load-generator' | 'other';
  pid: number;
  /** Count its children too (PostgreSQL's backends). */
  includeChildren: boolean;
}

export interface ProcessUsage {
  name: string;
  kind: MonitoredProcess['kind'];
  pid: number;
  /** CPU seconds over the window; one core fully busy for the whole window is its length in seconds. */
  cpuSeconds: number;
  /** cpuSeconds over the window's length: 1.0 is one core, busy all the time. */
  cores: number;
  /** Peak VmRSS (summed over the group when includeChildren), bytes. */
  peakRssBytes: number;
  /** Group only: peak of private memory summed plus the largest shared memory, bytes; null for one process. */
  peakGroupMemoryBytes: number | null;
  /** How many processes the group counted at its largest (1 without children). */
  peakProcessCount: number;
  samples: number;
  /** False when the process was gone by the end of the window (it crashed, or was stopped). */
  aliveAtEnd: boolean;
}

export interface GroupReading {
  cpuTicks: number;
  rssBytes: number;
  groupMemoryBytes: number | null;
  processCount: number;
}

/** One reading of a process (and its children when asked); null when the process is gone. */
export function readGroup(process: MonitoredProcess): GroupReading | null {
  const root = readStat(process.pid);
  const rootMemory = readMemory(process.pid);
  if (!root) return null;
  if (!process.includeChildren)
    return {
      cpuTicks: root.utime + root.stime,
      rssBytes: rootMemory?.rssBytes ?? 0,
      groupMemoryBytes: null,
      processCount: 1,
    };
  const readings = childrenOf(process.pid).map((pid) => ({ stat: readStat(pid), memory: readMemory(pid) }));
  let cpuTicks = root.utime + root.stime + root.cutime + root.cstime;
  const memories: ProcMemory[] = rootMemory ? [rootMemory] : [];
  for (const { stat, memory } of readings) {
    // A child that exited between the listing and the read is in the parent's cutime by now or soon.
    if (!stat) continue;
    cpuTicks += stat.utime + stat.stime;
    if (memory) memories.push(memory);
  }
  return {
    cpuTicks,
    rssBytes: sum(memories.map((m) => m.rssBytes)),
    groupMemoryBytes:
      sum(memories.map((m) => m.anonBytes)) +
      Math.max(0, ...memories.map((m) => m.shmemBytes)) +
      Math.max(0, ...memories.map((m) => m.fileBytes)),
    processCount: 1 + readings.filter((reading) => reading.stat !== null).length,
  };
}

export interface SamplingWindow {
  /** Ends the window: one last reading, then the usage of every process over it. */
  close(): Promise<ProcessUsage[]>;
}

interface OpenWindow {
  startedAt: number;
  start: Map<string, GroupReading | null>;
  peaks: Map<string, { rss: number; group: number | null; count: number; samples: number }>;
}

export class ProcessSampler {
  private readonly windows = new Set<OpenWindow>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly processes: MonitoredProcess[],
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    // Sampling must never keep a finished benchmark alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Opens a window now; several may be open at once (a phase inside the whole run). */
  async openWindow(): Promise<SamplingWindow> {
    const startedAt = Date.now();
    const readings = this.readAll();
    const window: OpenWindow = { startedAt, start: readings, peaks: new Map() };
    this.record(window, readings);
    this.windows.add(window);
    return { close: () => this.closeWindow(window) };
  }

  private sample(): void {
    if (this.windows.size === 0) return;
    const readings = this.readAll();
    for (const window of this.windows) this.record(window, readings);
  }

  private readAll(): Map<string, GroupReading | null> {
    const readings = this.processes.map(readGroup);
    return new Map(this.processes.map((process, i) => [process.name, readings[i] ?? null]));
  }

  private record(window: OpenWindow, readings: Map<string, GroupReading | null>): void {
    for (const [name, reading] of readings) {
      if (!reading) continue;
      const peak = window.peaks.get(name) ?? { rss: 0, group: null, count: 0, samples: 0 };
      peak.rss = Math.max(peak.rss, reading.rssBytes);
      if (reading.groupMemoryBytes !== null) peak.group = Math.max(peak.group ?? 0, reading.groupMemoryBytes);
      peak.count = Math.max(peak.count, reading.processCount);
      peak.samples += 1;
      window.peaks.set(name, peak);
    }
  }

  private async closeWindow(window: OpenWindow): Promise<ProcessUsage[]> {
    const end = this.readAll();
    const seconds = Math.max((Date.now() - window.startedAt) / 1000, 1e-9);
    this.record(window, end);
    this.windows.delete(window);
    const hz = clockTicksPerSecond();
    return this.processes.map((process) => {
      const first = window.start.get(process.name) ?? null;
      const last = end.get(process.name) ?? null;
      const peak = window.peaks.get(process.name);
      // A process gone by the end counts nothing rather than a wrong delta.
      const cpuSeconds = first && last ? Math.max(0, last.cpuTicks - first.cpuTicks) / hz : 0;
      return {
        name: process.name,
        kind: process.kind,
        pid: process.pid,
        cpuSeconds,
        cores: cpuSeconds / seconds,
        peakRssBytes: peak?.rss ?? 0,
        peakGroupMemoryBytes: peak?.group ?? null,
        peakProcessCount: peak?.count ?? 0,
        samples: peak?.samples ?? 0,
        aliveAtEnd: last !== null,
      };
    });
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
