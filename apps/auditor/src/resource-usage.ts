// What the audit itself cost: its elapsed time and its peak memory, printed with every report so an
// operator (and the audit benchmark, scripts/bench/audit/) sees that memory stays flat as tables grow.
import { getHeapStatistics } from 'node:v8';

export interface ResourceUsage {
  /** Wall-clock time of the audit, from its first connection to its verdict. */
  elapsedMs: number;
  /** CPU time (user and system) the auditor's process spent in that time: on a shared machine, the fairer number. */
  cpuMs: number;
  /** The process's peak resident set size so far (the kernel's high-water mark, Node.js included). */
  maxRssBytes: number;
  /** The highest V8 heap use seen: sampled after every page and every SAMPLE_INTERVAL_MS besides. */
  peakHeapUsedBytes: number;
}

const SAMPLE_INTERVAL_MS = 50;

/** Measures one audit: started when created, read with finish(). */
export class ResourceMeter {
  private readonly startedMs = performance.now();
  private readonly startedCpu = process.cpuUsage();
  private peakHeapUsedBytes = 0;
  private readonly timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS).unref();

  constructor() {
    this.sample();
  }

  /** Records the heap in use now if it is the highest yet (cheap: no heap walk). */
  sample(): void {
    const used = getHeapStatistics().used_heap_size;
    if (used > this.peakHeapUsedBytes) this.peakHeapUsedBytes = used;
  }

  finish(): ResourceUsage {
    clearInterval(this.timer);
    this.sample();
    const cpu = process.cpuUsage(this.startedCpu);
    return {
      elapsedMs: Math.round(performance.now() - this.startedMs),
      cpuMs: Math.round((cpu.user + cpu.system) / 1_000),
      // resourceUsage() gives maxRSS in kibibytes.
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      peakHeapUsedBytes: this.peakHeapUsedBytes,
    };
  }
}

/** `87.3 MiB`: memory an operator reads at a glance. */
export function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
