// Test-only builders for one transfer's events, with fixed ids and times so tests read as data.
// Not part of the build (tsconfig.build.json excludes *.fixture.ts).
import {
  createEvent,
  EVENT_TYPES,
  type EventOf,
  type EventType,
  type OncePayEvent,
  type RejectionReason,
  type Release,
  type TransferFacts,
} from '@oncepay/contracts';
import { applyEvent } from './apply-event';
import { INITIAL_TRANSFER_STATE, type TransferState, type TransferStatus } from './transfer-state';

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

/** A hold's expiry: a week after NOW, as transfer-service writes it (`toISOString()`). */
export const HOLD_EXPIRES_AT = new Date('2025-01-09T03:04:05.000Z');

/** A hold of FACTS' amount: the same transfer, two-phase. */
export const HOLD_FACTS: TransferFacts & { holdExpiresAt: string } = {
  ...FACTS,
  transferId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
  holdExpiresAt: HOLD_EXPIRES_AT.toISOString(),
};

/** A refund of part of the payment FACTS describes: from its payee back to its payer. */
export const REFUND_FACTS: TransferFacts & { refundOf: string } = {
  ...FACTS,
  transferId: '4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f7a',
  fromAccountId: FACTS.toAccountId,
  toAccountId: FACTS.fromAccountId,
  amountMinor: 2_345n,
  refundOf: FACTS.transferId,
};

/** The amount a fixture capture takes by default: part of the hold, so the rest is released. */
export const CAPTURE_AMOUNT_MINOR = 10_000n;
/** A capture of another amount than CAPTURE_AMOUNT_MINOR (still within the hold). */
export const OTHER_CAPTURE_AMOUNT_MINOR = 9_000n;

/** Deterministic UUIDs for test events: `eventId(1)`, `eventId(2)`, ... */
export function eventId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** The causationId of fixture events after the first: tests that care build the chain themselves. */
const CAUSING_EVENT_ID = eventId(0xca05e);

export interface EventOptions {
  id?: string;
  sequence?: number;
  /** The transfer's facts; by default FACTS, or HOLD_FACTS for an event only a hold has. */
  facts?: TransferFacts;
  reason?: RejectionReason;
  /** How a ReleaseRequested or HoldReleased releases the hold; VOID unless told. */
  release?: Release;
  /** What a CaptureRequested, HoldCaptured or TransferCaptured captures; CAPTURE_AMOUNT_MINOR unless told. */
  captureAmountMinor?: bigint;
  causationId?: string | null;
}

/**
 * The sequence an event type has on a clean history. A payment or refund: Requested 1, ledger result 2,
 * final event 3. A hold: Requested 1, HoldPlaced (or Rejected) 2, the step transfer-service decides 3,
 * the ledger carrying it out 4, the final word 5.
 */
export const CLEAN_SEQUENCE: Record<EventType, number> = {
  TransferRequested: 1,
  TransferPosted: 2,
  TransferRejected: 2,
  TransferCompleted: 3,
  TransferFailed: 3,
  HoldPlaced: 2,
  CaptureRequested: 3,
  ReleaseRequested: 3,
  HoldCaptured: 4,
  HoldReleased: 4,
  TransferCaptured: 5,
  TransferVoided: 5,
  TransferExpired: 5,
};

/** The event types only a hold has; every other type is a payment's (or refund's) by default. */
export const HOLD_ONLY_EVENT_TYPES: readonly EventType[] = [
  'HoldPlaced',
  'CaptureRequested',
  'HoldCaptured',
  'TransferCaptured',
  'ReleaseRequested',
  'HoldReleased',
  'TransferVoided',
  'TransferExpired',
];

/** Which service writes each event type (the ledger answers, transfer-service decides). */
const LEDGER_EVENT_TYPES: readonly EventType[] = [
  'TransferPosted',
  'TransferRejected',
  'HoldPlaced',
  'HoldCaptured',
  'HoldReleased',
];

type EventMeta = Parameters<typeof createEvent>[2];
interface BuildOptions {
  reason: RejectionReason;
  release: Release;
  captureAmountMinor: bigint;
}
type BuilderByType = {
  [K in EventType]: (facts: TransferFacts, options: BuildOptions, meta: EventMeta) => EventOf<K>;
};

const at = NOW.toISOString();
const BUILDERS: BuilderByType = {
  TransferRequested: (facts, _options, meta) => createEvent('TransferRequested', facts, meta),
  TransferPosted: (facts, _options, meta) => createEvent('TransferPosted', { ...facts, postedAt: at }, meta),
  TransferRejected: (facts, { reason }, meta) => createEvent('TransferRejected', { ...facts, reason }, meta),
  TransferCompleted: (facts, _options, meta) => createEvent('TransferCompleted', facts, meta),
  TransferFailed: (facts, { reason }, meta) => createEvent('TransferFailed', { ...facts, reason }, meta),
  HoldPlaced: (facts, _options, meta) => createEvent('HoldPlaced', { ...asHold(facts), heldAt: at }, meta),
  CaptureRequested: (facts, { captureAmountMinor }, meta) =>
    createEvent('CaptureRequested', { ...asHold(facts), captureAmountMinor }, meta),
  HoldCaptured: (facts, { captureAmountMinor }, meta) =>
    createEvent('HoldCaptured', { ...asHold(facts), captureAmountMinor, postedAt: at }, meta),
  TransferCaptured: (facts, { captureAmountMinor }, meta) =>
    createEvent('TransferCaptured', { ...asHold(facts), captureAmountMinor }, meta),
  ReleaseRequested: (facts, { release }, meta) =>
    createEvent('ReleaseRequested', { ...asHold(facts), release }, meta),
  HoldReleased: (facts, { release }, meta) =>
    createEvent('HoldReleased', { ...asHold(facts), release, releasedAt: at }, meta),
  TransferVoided: (facts, _options, meta) => createEvent('TransferVoided', asHold(facts), meta),
  TransferExpired: (facts, _options, meta) => createEvent('TransferExpired', asHold(facts), meta),
};

/**
 * Types `facts` as a hold's without checking them: tests of the state machine's own guard build a
 * hold-only event with a payment's facts on purpose (the codec never lets one through).
 */
function asHold(facts: TransferFacts): TransferFacts & { holdExpiresAt: string } {
  return facts as TransferFacts & { holdExpiresAt: string };
}

/**
 * An event of `type` for `FACTS` (HOLD_FACTS for a hold-only type, or `options.facts`), at its
 * clean-history sequence unless told.
 */
export function eventOf<T extends EventType>(type: T, options: EventOptions = {}): EventOf<T> {
  const sequence = options.sequence ?? CLEAN_SEQUENCE[type];
  const release = options.release ?? 'VOID';
  const build: BuilderByType[T] = BUILDERS[type];
  const defaultFacts = HOLD_ONLY_EVENT_TYPES.includes(type) ? HOLD_FACTS : FACTS;
  return build(
    options.facts ?? defaultFacts,
    {
      reason: options.reason ?? REASON,
      release,
      captureAmountMinor: options.captureAmountMinor ?? CAPTURE_AMOUNT_MINOR,
    },
    {
      // Distinct per type, sequence and release, so Posted and Rejected at sequence 2 (or a VOID and an
      // EXPIRY release) are different events.
      id:
        options.id ??
        eventId(sequence * 0x100 + (release === 'EXPIRY' ? 0x80 : 0) + EVENT_TYPES.indexOf(type)),
      occurredAt: NOW,
      producer: LEDGER_EVENT_TYPES.includes(type) ? 'ledger-service' : 'transfer-service',
      sequence,
      correlationId: CORRELATION_ID,
      causationId: options.causationId ?? (sequence === 1 ? null : CAUSING_EVENT_ID),
    },
  );
}

const requestedHold = eventOf('TransferRequested', { facts: HOLD_FACTS });
const placed = eventOf('HoldPlaced');
/**
 * One clean history of a hold per status it can be in. CAPTURED, VOIDED and EXPIRED stop at the
 * ledger's answer (4), so that a newer event (the final word, 5) exists.
 */
export const HOLD_HISTORIES = {
  NONE: [],
  PENDING: [requestedHold],
  FAILED: [requestedHold, eventOf('TransferRejected', { facts: HOLD_FACTS })],
  HELD: [requestedHold, placed],
  CAPTURING: [requestedHold, placed, eventOf('CaptureRequested')],
  CAPTURED: [requestedHold, placed, eventOf('CaptureRequested'), eventOf('HoldCaptured')],
  VOIDING: [requestedHold, placed, eventOf('ReleaseRequested', { release: 'VOID' })],
  VOIDED: [
    requestedHold,
    placed,
    eventOf('ReleaseRequested', { release: 'VOID' }),
    eventOf('HoldReleased', { release: 'VOID' }),
  ],
  EXPIRING: [requestedHold, placed, eventOf('ReleaseRequested', { release: 'EXPIRY' })],
  EXPIRED: [
    requestedHold,
    placed,
    eventOf('ReleaseRequested', { release: 'EXPIRY' }),
    eventOf('HoldReleased', { release: 'EXPIRY' }),
  ],
} satisfies Record<Exclude<TransferStatus, 'COMPLETED'>, OncePayEvent[]>;
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
