// The two ways the benchmark offers load, each a warm-up followed by a measured window:
// - closed loop: `concurrency` workers, each sending its next transfer as soon as the last was answered.
//   It finds the throughput; its latencies are those of a system kept exactly this busy.
// - open loop: transfers sent on a fixed schedule (`ratePerSecond`), whether or not earlier ones were
//   answered, and each latency measured from the time the request was DUE, not the time it left. A
//   stalled server (or a load generator that fell behind) therefore shows up in the latencies instead of
//   silently lowering the offered rate: no coordinated omission.
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/**
 * One POST /v1/transfers: the new transfer's id on 202, otherwise a short failure label. Never rejects.
 * `dueAt` (performance.now() ms) is when the request was due: the flows benchmark times a whole flow from it.
 */
export type SendTransfer = (dueAt: number) => Promise<SendOutcome>;
export type SendOutcome = { transferId: string; failure: null } | { transferId: null; failure: string };

export interface LoadSamples {
  /** Every transfer accepted during the phase, warm-up included: all of them must settle. */
  acceptedIds: string[];
  /** Accepted transfers whose request was sent (closed loop) or due (open loop) inside the window. */
  windowIds: string[];
  /** Requests sent (closed) or due (open) inside the window. */
  windowRequests: number;
  /** 202 answers that arrived inside the window: accepted/s is this over the window's length. */
  acceptedInWindow: number;
  /** Per request of the window answered 202: ms from sent (closed) or due (open) to the answer. */
  acceptLatenciesMs: number[];
  /** Requests of the window that were not answered 202, by label (`HTTP 503`, `ECONNRESET`...). */
  failures: Record<string, number>;
  /** Open loop only: how late each request of the window left after it was due (the generator's lag). */
  sendLagsMs: number[];
  /** The measured window in wall-clock time, to match against the servers' timestamps. */
  window: { from: Date; to: Date; seconds: number };
}

export interface PhaseTiming {
  warmupMs: number;
  durationMs: number;
}

/** After a failed request a closed-loop worker pauses, so a refused connection does not spin a core. */
const FAILURE_PAUSE_MS = 50;

const now = (): number => performance.now();

/** Collects what happens during one phase, sorting each request into warm-up or window. */
class PhaseRecorder {
  readonly start = now();
  readonly from: number;
  readonly to: number;
  private readonly wallFrom: number;
  private readonly samples: Omit<LoadSamples, 'window'> = {
    acceptedIds: [],
    windowIds: [],
    windowRequests: 0,
    acceptedInWindow: 0,
    acceptLatenciesMs: [],
    failures: {},
    sendLagsMs: [],
  };

  constructor(private readonly timing: PhaseTiming) {
    this.from = this.start + timing.warmupMs;
    this.to = this.from + timing.durationMs;
    this.wallFrom = Date.now() + timing.warmupMs;
  }

  /** `dueAt` is when the request was meant to leave (= sentAt in a closed loop). */
  record(dueAt: number, sentAt: number, answeredAt: number, outcome: SendOutcome, open: boolean): void {
    const samples = this.samples;
    if (outcome.transferId !== null) {
      samples.acceptedIds.push(outcome.transferId);
      if (answeredAt >= this.from && answeredAt < this.to) samples.acceptedInWindow += 1;
    }
    if (dueAt < this.from || dueAt >= this.to) return;
    samples.windowRequests += 1;
    if (open) samples.sendLagsMs.push(sentAt - dueAt);
    if (outcome.transferId !== null) {
      samples.windowIds.push(outcome.transferId);
      samples.acceptLatenciesMs.push(answeredAt - dueAt);
    } else {
      samples.failures[outcome.failure] = (samples.failures[outcome.failure] ?? 0) + 1;
    }
  }

  result(): LoadSamples {
    const { durationMs } = this.timing;
    return {
      ...this.samples,
      window: {
        from: new Date(this.wallFrom),
        to: new Date(this.wallFrom + durationMs),
        seconds: durationMs / 1000,
      },
    };
  }
}

export async function runClosedLoop(
  send: SendTransfer,
  options: PhaseTiming & { concurrency: number },
): Promise<LoadSamples> {
  const recorder = new PhaseRecorder(options);
  const worker = async (): Promise<void> => {
    while (now() < recorder.to) {
      const sentAt = now();
      const outcome = await send(sentAt);
      recorder.record(sentAt, sentAt, now(), outcome, false);
      if (outcome.failure !== null) await sleep(FAILURE_PAUSE_MS);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return recorder.result();
}

/**
 * When each request of an open loop is due: request i at start + i/rate, computed from i (never by
 * adding intervals, which would drift), over [start, start + duration).
 */
export class OpenLoopSchedule {
  readonly total: number;

  constructor(
    readonly ratePerSecond: number,
    readonly startMs: number,
    durationMs: number,
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`rate must be positive, got ${ratePerSecond}`);
    this.total = Math.max(0, Math.ceil((durationMs * ratePerSecond) / 1000));
  }

  dueAt(index: number): number {
    return this.startMs + (index * 1000) / this.ratePerSecond;
  }

  /** How many requests are due at `nowMs` (all those with dueAt <= nowMs), at most `total`. */
  dueBy(nowMs: number): number {
    if (nowMs < this.startMs) return 0;
    return Math.min(this.total, Math.floor(((nowMs - this.startMs) * this.ratePerSecond) / 1000) + 1);
  }
}

export async function runOpenLoop(
  send: SendTransfer,
  options: PhaseTiming & { ratePerSecond: number },
): Promise<LoadSamples> {
  const recorder = new PhaseRecorder(options);
  const schedule = new OpenLoopSchedule(
    options.ratePerSecond,
    recorder.start,
    options.warmupMs + options.durationMs,
  );
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const fire = (dueAt: number): void => {
    inFlight += 1;
    const sentAt = now();
    void send(dueAt).then((outcome) => {
      recorder.record(dueAt, sentAt, now(), outcome, true);
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
  };
  let issued = 0;
  while (issued < schedule.total) {
    const due = schedule.dueBy(now());
    for (; issued < due; issued += 1) fire(schedule.dueAt(issued));
    // Sleep until the next one is due (a timer fires 1 ms late at best: that lateness is measured).
    if (issued < schedule.total) await sleep(Math.max(0, schedule.dueAt(issued) - now()));
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  return recorder.result();
}
