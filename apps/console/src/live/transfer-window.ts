// What the console saw on the wire, per transfer: each event as it crossed Kafka, the status the pure
// state machine gives the transfer over the events seen so far, and where an event changed nothing.
// Two marks, told apart on purpose:
// - `duplicate`: an event id already seen on the wire. A redelivery (a relay that crashed after the
//   broker's ack and before marking its row, a replayed dead letter) puts the same event on Kafka again;
//   every consumer's dedup absorbs it, and the console shows where it was.
// - `stale`: a new event id that the state machine ignores (older than what it applied, or no legal
//   transition from the status reached): a consumer keeps its state and drops the event.
// Bounded: the most recently active `maxTransfers` transfers, each with at most `maxEventsPerTransfer`
// events; a transfer pushed out is forgotten (an event of it seen later starts it afresh), and an event
// id is known as seen while its event is among its transfer's kept ones (past them, a redelivery is
// still told by the state machine: the same last id is `duplicate`, an older one `stale`).
import type { OncePayEvent } from '@oncepay/contracts';
import {
  applyEvent,
  INITIAL_TRANSFER_STATE,
  kindOf,
  type TransferKind,
  type TransferState,
  type TransferStatus,
} from '@oncepay/transfer-state-machine';

export type WireMark = 'duplicate' | 'stale';

/** Where a message sat on Kafka. */
export interface WirePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** One event as the console saw it cross Kafka. */
export interface WireEvent extends WirePosition {
  transferId: string;
  eventId: string;
  eventType: OncePayEvent['type'];
  sequence: number;
  producer: string;
  occurredAt: string;
  /** When the console received it. */
  observedAt: string;
  /** The transfer's status after this event, by the state machine over the events seen so far. */
  status: TransferStatus;
  marks: WireMark[];
  /** Why the state machine ignored it, when it did (`stale`, or an illegal transition's reason). */
  ignoredBecause?: string;
}

/** One transfer's line in the live table. */
export interface TransferSummary {
  transferId: string;
  kind: TransferKind;
  status: TransferStatus;
  /** Minor units, a string as on the wire. */
  amountMinor: string;
  currency: string;
  firstSeenAt: string;
  lastSeenAt: string;
  events: number;
  duplicates: number;
  stale: number;
}

interface TransferRecord {
  summary: TransferSummary;
  state: TransferState;
  /** The last maxEventsPerTransfer events: also what `duplicate` is judged against, so it stays bounded. */
  events: WireEvent[];
}

export const DEFAULT_MAX_TRANSFERS = 500;
export const DEFAULT_MAX_EVENTS_PER_TRANSFER = 100;

export class TransferWindow {
  /** In order of last activity, oldest first: a Map keeps insertion order, and a touch re-inserts. */
  private readonly transfers = new Map<string, TransferRecord>();

  constructor(
    private readonly maxTransfers = DEFAULT_MAX_TRANSFERS,
    private readonly maxEventsPerTransfer = DEFAULT_MAX_EVENTS_PER_TRANSFER,
  ) {
    if (maxTransfers < 1 || maxEventsPerTransfer < 1) throw new Error('a window holds at least one of each');
  }

  /** The most transfers it keeps: a page shows no more rows than this either. */
  get capacity(): number {
    return this.maxTransfers;
  }

  /** Records `event`, seen at `position` at `observedAt`; returns what the console shows of it. */
  observe(event: OncePayEvent, position: WirePosition, observedAt: Date): WireEvent {
    const record = this.touch(event, observedAt);
    const seen: Omit<WireEvent, 'status' | 'marks'> = {
      ...position,
      transferId: event.aggregateId,
      eventId: event.id,
      eventType: event.type,
      sequence: event.sequence,
      producer: event.producer,
      occurredAt: event.occurredAt,
      observedAt: observedAt.toISOString(),
    };
    const wire = this.classify(record, event, seen);
    record.events.push(wire);
    if (record.events.length > this.maxEventsPerTransfer) record.events.shift();
    const { summary } = record;
    summary.status = record.state.status;
    summary.lastSeenAt = wire.observedAt;
    summary.events += 1;
    if (wire.marks.includes('duplicate')) summary.duplicates += 1;
    if (wire.marks.includes('stale')) summary.stale += 1;
    return wire;
  }

  /** The transfers, most recently active first. */
  recent(): TransferSummary[] {
    return [...this.transfers.values()].reverse().map((record) => ({ ...record.summary }));
  }

  summaryOf(transferId: string): TransferSummary | undefined {
    const record = this.transfers.get(transferId);
    return record && { ...record.summary };
  }

  /** The events of one transfer seen on the wire, in the order they arrived (empty when unknown). */
  eventsOf(transferId: string): WireEvent[] {
    return [...(this.transfers.get(transferId)?.events ?? [])];
  }

  private classify(
    record: TransferRecord,
    event: OncePayEvent,
    seen: Omit<WireEvent, 'status' | 'marks'>,
  ): WireEvent {
    if (record.events.some((kept) => kept.eventId === event.id))
      return { ...seen, status: record.state.status, marks: ['duplicate'] };
    const result = applyEvent(record.state, event);
    switch (result.outcome) {
      case 'applied':
        record.state = result.state;
        return { ...seen, status: record.state.status, marks: [] };
      // The state machine's own duplicate is the last applied id again, which the kept events caught
      // above unless the window let it go: the same redelivery.
      case 'duplicate':
        return { ...seen, status: record.state.status, marks: ['duplicate'] };
      case 'stale':
        return {
          ...seen,
          status: record.state.status,
          marks: ['stale'],
          ignoredBecause: `older than sequence ${versionOf(record.state)} already applied`,
        };
      case 'illegal':
        return { ...seen, status: record.state.status, marks: ['stale'], ignoredBecause: result.reason };
    }
  }

  /** The transfer's record, created on its first event and moved to the most recent end. */
  private touch(event: OncePayEvent, observedAt: Date): TransferRecord {
    const transferId = event.aggregateId;
    const existing = this.transfers.get(transferId);
    if (existing) {
      this.transfers.delete(transferId);
      this.transfers.set(transferId, existing);
      return existing;
    }
    const record: TransferRecord = {
      summary: {
        transferId,
        kind: kindOf(event.payload),
        status: 'NONE',
        amountMinor: event.payload.amountMinor.toString(),
        currency: event.payload.currency,
        firstSeenAt: observedAt.toISOString(),
        lastSeenAt: observedAt.toISOString(),
        events: 0,
        duplicates: 0,
        stale: 0,
      },
      state: INITIAL_TRANSFER_STATE,
      events: [],
    };
    this.transfers.set(transferId, record);
    if (this.transfers.size > this.maxTransfers) {
      const oldest = this.transfers.keys().next().value;
      if (oldest !== undefined) this.transfers.delete(oldest);
    }
    return record;
  }
}

function versionOf(state: TransferState): number {
  return state.status === 'NONE' ? 0 : state.version;
}
