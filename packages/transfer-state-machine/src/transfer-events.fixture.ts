// Test-only builders for one transfer's events, with fixed ids and times so tests read as data.
// Not part of the build (tsconfig.build.json excludes *.fixture.ts).
import {
  createEvent,
  EVENT_TYPES,
  type EventOf,
  type EventType,
  type OncePayEvent,
  type RejectionReason,
  type TransferFacts,
} from '@oncepay/contracts';
import { applyEvent } from './apply-event';
import { INITIAL_TRANSFER_STATE, type TransferState } from './transfer-state';

export const FACTS: TransferFacts = {
  transferId: '0b9d7c3e-6f0a-4d8e-9a51-2c1f3e4d5a60',
  clientId: 'demo-a',
  fromAccountId: '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10',
  toAccountId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c60',
  amountMinor: 12_345n,
  currency: 'EUR',
  reference: 'invoice 42',
};

export const OTHER_TRANSFER_FACTS: TransferFacts = {
  ...FACTS,
  transferId: '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a',
};

/** Same transfer id, another amount: a producer disagreeing about what the transfer is. */
export const CONFLICTING_FACTS: TransferFacts = { ...FACTS, amountMinor: 99_999n };

export const CORRELATION_ID = 'req-7d1f';
export const NOW = new Date('2025-01-02T03:04:05.000Z');
export const REASON: RejectionReason = 'INSUFFICIENT_FUNDS';
export const OTHER_REASON: RejectionReason = 'CURRENCY_MISMATCH';

/** Deterministic UUIDs for test events: `eventId(1)`, `eventId(2)`, ... */
export function eventId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The causationId of fixture events after the first: tests that care build the chain themselves. */
const CAUSING_EVENT_ID = eventId(0xca05e);

export interface EventOptions {
  id?: string;
  sequence?: number;
  facts?: TransferFacts;
  reason?: RejectionReason;
  causationId?: string | null;
}

/** The sequence an event type has on a clean history: Requested 1, ledger result 2, final event 3. */
export const CLEAN_SEQUENCE: Record<EventType, number> = {
  TransferRequested: 1,
  TransferPosted: 2,
  TransferRejected: 2,
  TransferCompleted: 3,
  TransferFailed: 3,
};

type EventMeta = Parameters<typeof createEvent>[2];
type BuilderByType = {
  [K in EventType]: (facts: TransferFacts, reason: RejectionReason, meta: EventMeta) => EventOf<K>;
};

const BUILDERS: BuilderByType = {
  TransferRequested: (facts, _reason, meta) => createEvent('TransferRequested', facts, meta),
  TransferPosted: (facts, _reason, meta) =>
    createEvent('TransferPosted', { ...facts, postedAt: NOW.toISOString() }, meta),
  TransferRejected: (facts, reason, meta) => createEvent('TransferRejected', { ...facts, reason }, meta),
  TransferCompleted: (facts, _reason, meta) => createEvent('TransferCompleted', facts, meta),
  TransferFailed: (facts, reason, meta) => createEvent('TransferFailed', { ...facts, reason }, meta),
};

/** An event of `type` for `FACTS` (or `options.facts`), at its clean-history sequence unless told. */
export function eventOf<T extends EventType>(type: T, options: EventOptions = {}): EventOf<T> {
  const sequence = options.sequence ?? CLEAN_SEQUENCE[type];
  const build: BuilderByType[T] = BUILDERS[type];
  return build(options.facts ?? FACTS, options.reason ?? REASON, {
    // Distinct per type and sequence, so Posted and Rejected at sequence 2 are different events.
    id: options.id ?? eventId(sequence * 0x100 + EVENT_TYPES.indexOf(type)),
    occurredAt: NOW,
    producer:
      type === 'TransferPosted' || type === 'TransferRejected' ? 'ledger-service' : 'transfer-service',
    sequence,
    correlationId: CORRELATION_ID,
    causationId: options.causationId ?? (sequence === 1 ? null : CAUSING_EVENT_ID),
  });
}

/** Given events: folds them from NONE, failing the test if any of them is not applied. */
export function given(...events: OncePayEvent[]): TransferState {
  return events.reduce<TransferState>((state, event) => {
    const result = applyEvent(state, event);
    if (result.outcome !== 'applied') {
      throw new Error(`given: ${event.type} #${event.sequence} was ${result.outcome}, not applied`);
    }
    return result.state;
  }, INITIAL_TRANSFER_STATE);
}
