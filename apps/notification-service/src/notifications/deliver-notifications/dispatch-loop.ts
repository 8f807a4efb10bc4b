// The loop every dispatcher runs (notifications to the configured channel, deliveries to clients'
// webhook endpoints): passes while batches come back full, then a sleep of `intervalMs`. Bounded: a
// tick runs at most MAX_PASSES_PER_TICK passes, so a backlog drains fast yet a tick always ends; a pass
// that throws (the claim failed: database away, nothing sent) backs the ticks off up to
// MAX_FAILURE_BACKOFF_MS, so an outage costs a few log lines, not one per interval.
import { backoffDelayMs, type MessagingLogger } from '@oncepay/messaging';
import { describeError } from '@oncepay/sql';

export interface DispatchLoopOptions {
  /** One bounded pass; throws only when it could not claim at all. */
  pass: () => Promise<{ claimed: number }>;
  /** A pass that claimed fewer than this found the queue drained. */
  batchSize: number;
  /** Sleep between ticks. */
  intervalMs: number;
  logger: MessagingLogger;
  /** Names the loop in its log lines (`notification`, `webhook`). */
  what: string;
}

const MAX_PASSES_PER_TICK = 10;
const MAX_FAILURE_BACKOFF_MS = 30_000;

export class DispatchLoop {
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private tickInFlight: Promise<void> | null = null;
  /** Ticks in a row whose pass failed; resets on the first pass that works. */
  private failedTicks = 0;

  constructor(private readonly options: DispatchLoopOptions) {
    if (options.batchSize < 1 || options.intervalMs < 1) {
      throw new RangeError('batchSize and intervalMs must be positive');
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleTick();
  }

  /** Resolves once the tick in progress (if any) has finished; no delivery is cut off halfway. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tickInFlight;
  }

  private scheduleTick(): void {
    const delayMs =
      this.failedTicks === 0
        ? this.options.intervalMs
        : backoffDelayMs(
            { initialMs: this.options.intervalMs, maxMs: MAX_FAILURE_BACKOFF_MS },
            this.failedTicks,
          );
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tickInFlight = this.tick().finally(() => {
        this.tickInFlight = null;
        if (this.running) this.scheduleTick();
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      for (let pass = 0; pass < MAX_PASSES_PER_TICK && this.running; pass++) {
        const result = await this.options.pass();
        this.failedTicks = 0;
        if (result.claimed < this.options.batchSize) return;
      }
    } catch (error) {
      this.failedTicks += 1;
      this.options.logger.error(`${this.options.what} dispatch pass failed`, {
        error: describeError(error),
        failedTicks: this.failedTicks,
      });
    }
  }
}
