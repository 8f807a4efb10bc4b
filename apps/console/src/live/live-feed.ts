// Between the wire observer and the browsers: each decoded event goes into the transfer window, and
// every open stream is told what the console saw and where the transfer stands now. A message that does
// not decode is counted (the console's /health reports it), not shown: the consumers dead-letter it, and
// `npm run dlq` shows it.
import type { ObservedMessage } from '@oncepay/messaging';
import { TransferWindow, type TransferSummary, type WireEvent } from './transfer-window';

/** What a stream receives for each event seen on the wire. */
export interface LiveUpdate {
  event: WireEvent;
  transfer: TransferSummary;
}

/** Events a page opened later still sees in its "on the wire" list. */
export const RECENT_EVENTS = 60;

export class LiveFeed {
  private readonly listeners = new Set<(update: LiveUpdate) => void>();
  private readonly latest: LiveUpdate[] = [];
  private undecodable = 0;

  constructor(
    private readonly window: TransferWindow,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The observer's onMessage. */
  readonly accept = ({ message, decoded }: ObservedMessage): void => {
    if (!decoded.ok) {
      this.undecodable += 1;
      return;
    }
    const { topic, partition, offset } = message;
    const event = this.window.observe(decoded.event, { topic, partition, offset }, this.now());
    const transfer = this.window.summaryOf(event.transferId);
    if (!transfer) return;
    this.latest.push({ event, transfer });
    if (this.latest.length > RECENT_EVENTS) this.latest.shift();
    for (const listener of this.listeners) listener({ event, transfer });
  };

  subscribe(listener: (update: LiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The last RECENT_EVENTS events seen, oldest first. */
  recentEvents(): LiveUpdate[] {
    return [...this.latest];
  }

  recent(): TransferSummary[] {
    return this.window.recent();
  }

  /** The most transfers the window keeps (CONSOLE_WINDOW_TRANSFERS). */
  capacity(): number {
    return this.window.capacity;
  }

  summaryOf(transferId: string): TransferSummary | undefined {
    return this.window.summaryOf(transferId);
  }

  eventsOf(transferId: string): WireEvent[] {
    return this.window.eventsOf(transferId);
  }

  /** Messages seen that are no OncePay event (the dead-letter tooling shows them). */
  undecodableCount(): number {
    return this.undecodable;
  }
}
