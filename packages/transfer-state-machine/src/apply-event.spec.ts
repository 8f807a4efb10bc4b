// Proves applyEvent's outcome for every state x event type pair, for a payment and for a hold: the
// transition tables for newer events, and duplicate, stale, sequence-conflict, wrong-transfer and
// facts-mismatch outcomes, the guard against an event of another kind of transfer, plus evolve's fold.
import { EVENT_TYPES, type EventType, type OncePayEvent, type TransferFacts } from '@oncepay/contracts';
import { applyEvent, evolve, type ApplyResult, type IllegalEventReason } from './apply-event';
import {
  CAPTURE_AMOUNT_MINOR,
  CONFLICTING_FACTS,
  eventId,
  eventOf,
  FACTS,
  given,
  HOLD_FACTS,
  HOLD_HISTORIES,
  HOLD_ONLY_EVENT_TYPES,
  OTHER_CAPTURE_AMOUNT_MINOR,
  OTHER_REASON,
  OTHER_TRANSFER_FACTS,
  REASON,
  REFUND_FACTS,
  type EventOptions,
} from './transfer-events.fixture';
import {
  INITIAL_TRANSFER_STATE,
  type KnownStatus,
  type KnownTransferState,
  type TransferState,
} from './transfer-state';

/**
 * One history per status a payment can be in. The terminal ones stop at the ledger's answer so a
 * newer event (3) exists.
 */
const HISTORIES = {
  NONE: [],
  PENDING: [eventOf('TransferRequested')],
  COMPLETED: [eventOf('TransferRequested'), eventOf('TransferPosted')],
  FAILED: [eventOf('TransferRequested'), eventOf('TransferRejected')],
} satisfies Partial<Record<TransferState['status'], OncePayEvent[]>>;
type Given = keyof typeof HISTORIES;
const KNOWN: Exclude<Given, 'NONE'>[] = ['PENDING', 'COMPLETED', 'FAILED'];

function knownState(name: Exclude<Given, 'NONE'>): KnownTransferState {
  const state = given(...HISTORIES[name]);
  if (state.status === 'NONE') throw new Error(`history ${name} left the transfer unknown`);
  return state;
}

const NEW_EVENT_ID = eventId(0xabc);

/** The event types a payment (or a refund) can receive: all but the hold-only ones. */
const PAYMENT_EVENT_TYPES = EVENT_TYPES.filter((type) => !HOLD_ONLY_EVENT_TYPES.includes(type));

/** A newer event of `type`: the next sequence after the given state's version (its clean one from NONE). */
function newerEvent(name: Given, type: EventType, facts = FACTS): OncePayEvent {
  const sequence = name === 'NONE' ? undefined : knownState(name).version + 1;
  return eventOf(type, { id: NEW_EVENT_ID, facts, ...(sequence === undefined ? {} : { sequence }) });
}

function appliedAs(
  status: 'PENDING' | 'COMPLETED' | 'FAILED',
  event: OncePayEvent,
): Extract<ApplyResult, { outcome: 'applied' }> {
  const known = { transfer: FACTS, version: event.sequence, lastEventId: event.id };
  return {
    outcome: 'applied',
    state: status === 'FAILED' ? { status, ...known, reason: REASON } : { status, ...known },
  };
}

/** `facts` with one of the facts sameFacts compares changed, apart from the amount and the kind. */
function oneFactChanged(facts: TransferFacts): [string, TransferFacts][] {
  return [
    ['another client', { ...facts, clientId: 'demo-b' }],
    ['another payer account', { ...facts, fromAccountId: '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b' }],
    ['another payee account', { ...facts, toAccountId: '6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c' }],
    ['another currency', { ...facts, currency: 'USD' }],
    ['another reference', { ...facts, reference: 'invoice 43' }],
    ['no reference', { ...facts, reference: null }],
  ];
}
describe('applyEvent: a newer event of the transfer, with the same facts (the transition table)', () => {
  const table: [Given, EventType, 'PENDING' | 'COMPLETED' | 'FAILED' | IllegalEventReason][] = [
    ['NONE', 'TransferRequested', 'PENDING'],
    ['NONE', 'TransferPosted', 'COMPLETED'],
    ['NONE', 'TransferRejected', 'FAILED'],
    ['NONE', 'TransferCompleted', 'COMPLETED'],
    ['NONE', 'TransferFailed', 'FAILED'],
    ['PENDING', 'TransferRequested', 'ALREADY_REQUESTED'],
    ['PENDING', 'TransferPosted', 'COMPLETED'],
    ['PENDING', 'TransferRejected', 'FAILED'],
    ['PENDING', 'TransferCompleted', 'COMPLETED'],
    ['PENDING', 'TransferFailed', 'FAILED'],
    ['COMPLETED', 'TransferRequested', 'ALREADY_REQUESTED'],
    ['COMPLETED', 'TransferPosted', 'COMPLETED'],
    ['COMPLETED', 'TransferRejected', 'CONTRADICTS_OUTCOME'],
    ['COMPLETED', 'TransferCompleted', 'COMPLETED'],
    ['COMPLETED', 'TransferFailed', 'CONTRADICTS_OUTCOME'],
    ['FAILED', 'TransferRequested', 'ALREADY_REQUESTED'],
    ['FAILED', 'TransferPosted', 'CONTRADICTS_OUTCOME'],
    ['FAILED', 'TransferRejected', 'FAILED'],
    ['FAILED', 'TransferCompleted', 'CONTRADICTS_OUTCOME'],
    ['FAILED', 'TransferFailed', 'FAILED'],
  ];

  it('covers every state x event type a payment can receive', () => {
    const pairs = new Set(table.map(([name, type]) => `${name}/${type}`));
    expect(pairs.size).toBe(Object.keys(HISTORIES).length * PAYMENT_EVENT_TYPES.length);
  });

  it.each(table)('given %s, when %s arrives: %s', (name, type, expected) => {
    const event = newerEvent(name, type);
    const result = applyEvent(given(...HISTORIES[name]), event);
    if (expected === 'PENDING' || expected === 'COMPLETED' || expected === 'FAILED') {
      expect(result).toStrictEqual(appliedAs(expected, event));
    } else {
      expect(result).toStrictEqual({ outcome: 'illegal', reason: expected });
    }
  });

  it.each(['TransferRejected', 'TransferFailed'] as const)(
    'given FAILED, when %s arrives with another reason: illegal CONTRADICTS_OUTCOME',
    (type) => {
      const event = eventOf(type, { id: NEW_EVENT_ID, sequence: 3, reason: OTHER_REASON });
      expect(applyEvent(given(...HISTORIES.FAILED), event)).toStrictEqual({
        outcome: 'illegal',
        reason: 'CONTRADICTS_OUTCOME',
      });
    },
  );

  it('keeps only the transfer facts in the state, not postedAt or the reason of the event', () => {
    const result = applyEvent(INITIAL_TRANSFER_STATE, eventOf('TransferPosted'));
    expect(result.outcome === 'applied' && result.state.transfer).toStrictEqual(FACTS);
  });
});

describe.each(KNOWN)('applyEvent given %s: events that are not applied', (name) => {
  const state = knownState(name);

  it.each(PAYMENT_EVENT_TYPES)('%s with the id of the last applied event: duplicate', (type) => {
    const event = eventOf(type, { id: state.lastEventId, sequence: state.version });
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'duplicate' });
  });

  it.each(PAYMENT_EVENT_TYPES)(
    '%s with the last applied sequence but another id: illegal SEQUENCE_CONFLICT',
    (type) => {
      const event = eventOf(type, { id: NEW_EVENT_ID, sequence: state.version });
      expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' });
    },
  );

  it.each(PAYMENT_EVENT_TYPES)('%s of another transfer: illegal WRONG_TRANSFER', (type) => {
    const event = newerEvent(name, type, OTHER_TRANSFER_FACTS);
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'WRONG_TRANSFER' });
  });

  it.each(PAYMENT_EVENT_TYPES)(
    '%s with other facts for the same transfer id: illegal FACTS_MISMATCH',
    (type) => {
      const event = newerEvent(name, type, CONFLICTING_FACTS);
      expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'FACTS_MISMATCH' });
    },
  );

  // Each fact on its own: an answer that names other accounts, another client, currency or reference
  // for this transfer id describes another transfer, and must never be applied to this one.
  describe.each(oneFactChanged(FACTS))('with %s for the same transfer id', (_what, facts) => {
    it.each(PAYMENT_EVENT_TYPES)('%s: illegal FACTS_MISMATCH', (type) => {
      const event = newerEvent(name, type, facts);
      expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'FACTS_MISMATCH' });
    });
  });

  it.each(PAYMENT_EVENT_TYPES)('%s saying the payment is a refund: illegal FACTS_MISMATCH', (type) => {
    const event = newerEvent(name, type, { ...FACTS, refundOf: OTHER_TRANSFER_FACTS.transferId });
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'FACTS_MISMATCH' });
  });

  // PENDING sits at sequence 1, the lowest there is, so nothing can be older than it.
  const olderSequences = Array.from({ length: state.version - 1 }, (_, index) => index + 1);
  if (olderSequences.length > 0) {
    it.each(PAYMENT_EVENT_TYPES)(
      '%s with an older sequence (even with other facts or outcome): stale',
      (type) => {
        for (const sequence of olderSequences) {
          const event = eventOf(type, {
            id: NEW_EVENT_ID,
            sequence,
            facts: CONFLICTING_FACTS,
            reason: OTHER_REASON,
          });
          expect(applyEvent(state, event)).toStrictEqual({ outcome: 'stale' });
        }
      },
    );
  }
});

type HoldGiven = keyof typeof HOLD_HISTORIES;
const KNOWN_HOLD: Exclude<HoldGiven, 'NONE'>[] = [
  'PENDING',
  'FAILED',
  'HELD',
  'CAPTURING',
  'CAPTURED',
  'VOIDING',
  'VOIDED',
  'EXPIRING',
  'EXPIRED',
];

function knownHoldState(name: Exclude<HoldGiven, 'NONE'>): KnownTransferState {
  const state = given(...HOLD_HISTORIES[name]);
  if (state.status === 'NONE') throw new Error(`history ${name} left the hold unknown`);
  return state;
}

/**
 * Every event a hold can receive, as the table's columns: the ledger's releases VOID and EXPIRY are
 * distinct events, and a capture of CAPTURE_AMOUNT_MINOR differs from one of another amount (`*`).
 */
const HOLD_EVENTS = {
  TransferRequested: { type: 'TransferRequested' },
  TransferRejected: { type: 'TransferRejected' },
  TransferFailed: { type: 'TransferFailed' },
  HoldPlaced: { type: 'HoldPlaced' },
  CaptureRequested: { type: 'CaptureRequested' },
  'CaptureRequested*': { type: 'CaptureRequested', captureAmountMinor: OTHER_CAPTURE_AMOUNT_MINOR },
  HoldCaptured: { type: 'HoldCaptured' },
  'HoldCaptured*': { type: 'HoldCaptured', captureAmountMinor: OTHER_CAPTURE_AMOUNT_MINOR },
  TransferCaptured: { type: 'TransferCaptured' },
  'TransferCaptured*': { type: 'TransferCaptured', captureAmountMinor: OTHER_CAPTURE_AMOUNT_MINOR },
  'ReleaseRequested VOID': { type: 'ReleaseRequested', release: 'VOID' },
  'ReleaseRequested EXPIRY': { type: 'ReleaseRequested', release: 'EXPIRY' },
  'HoldReleased VOID': { type: 'HoldReleased', release: 'VOID' },
  'HoldReleased EXPIRY': { type: 'HoldReleased', release: 'EXPIRY' },
  TransferVoided: { type: 'TransferVoided' },
  TransferExpired: { type: 'TransferExpired' },
} satisfies Record<string, Pick<EventOptions, 'release' | 'captureAmountMinor'> & { type: EventType }>;
type HoldEvent = keyof typeof HOLD_EVENTS;

/** A newer hold event: the next sequence after the given state's version (its clean one from NONE). */
function newerHoldEvent(name: HoldGiven, which: HoldEvent, facts: TransferFacts = HOLD_FACTS): OncePayEvent {
  const { type, ...options } = HOLD_EVENTS[which];
  const sequence = name === 'NONE' ? undefined : knownHoldState(name).version + 1;
  return eventOf(type, {
    ...options,
    id: NEW_EVENT_ID,
    facts,
    ...(sequence === undefined ? {} : { sequence }),
  });
}

/** The applied state of a hold: the status the table names, with FAILED's reason or the event's capture. */
function holdAppliedAs(status: KnownStatus, event: OncePayEvent): ApplyResult {
  const known = { transfer: HOLD_FACTS, version: event.sequence, lastEventId: event.id };
  const captured = 'captureAmountMinor' in event.payload ? event.payload.captureAmountMinor : undefined;
  if (status === 'FAILED') return { outcome: 'applied', state: { status, ...known, reason: REASON } };
  if (status === 'CAPTURING' || status === 'CAPTURED') {
    if (captured === undefined) throw new Error(`${event.type} carries no capture`);
    return { outcome: 'applied', state: { status, ...known, captureAmountMinor: captured } };
  }
  if (status === 'COMPLETED') throw new Error('a hold is never COMPLETED');
  return { outcome: 'applied', state: { status, ...known } };
}

describe('applyEvent given a hold: a newer event with the same facts (the hold transition table)', () => {
  // What a reader can check against the design: a hold ends one way only; a non-terminal status does
  // not move to itself (HELD, CAPTURING, ... are each entered once); a terminal one is only confirmed.
  const A = 'ALREADY_REQUESTED';
  const X = 'CONTRADICTS_OUTCOME';
  const table: [HoldGiven, HoldEvent, KnownStatus | IllegalEventReason][] = [
    ['NONE', 'TransferRequested', 'PENDING'],
    ['NONE', 'TransferRejected', 'FAILED'],
    ['NONE', 'TransferFailed', 'FAILED'],
    ['NONE', 'HoldPlaced', 'HELD'],
    ['NONE', 'CaptureRequested', 'CAPTURING'],
    ['NONE', 'CaptureRequested*', 'CAPTURING'],
    ['NONE', 'HoldCaptured', 'CAPTURED'],
    ['NONE', 'HoldCaptured*', 'CAPTURED'],
    ['NONE', 'TransferCaptured', 'CAPTURED'],
    ['NONE', 'TransferCaptured*', 'CAPTURED'],
    ['NONE', 'ReleaseRequested VOID', 'VOIDING'],
    ['NONE', 'ReleaseRequested EXPIRY', 'EXPIRING'],
    ['NONE', 'HoldReleased VOID', 'VOIDED'],
    ['NONE', 'HoldReleased EXPIRY', 'EXPIRED'],
    ['NONE', 'TransferVoided', 'VOIDED'],
    ['NONE', 'TransferExpired', 'EXPIRED'],

    ['PENDING', 'TransferRequested', A],
    ['PENDING', 'TransferRejected', 'FAILED'],
    ['PENDING', 'TransferFailed', 'FAILED'],
    ['PENDING', 'HoldPlaced', 'HELD'],
    ['PENDING', 'CaptureRequested', 'CAPTURING'],
    ['PENDING', 'CaptureRequested*', 'CAPTURING'],
    ['PENDING', 'HoldCaptured', 'CAPTURED'],
    ['PENDING', 'HoldCaptured*', 'CAPTURED'],
    ['PENDING', 'TransferCaptured', 'CAPTURED'],
    ['PENDING', 'TransferCaptured*', 'CAPTURED'],
    ['PENDING', 'ReleaseRequested VOID', 'VOIDING'],
    ['PENDING', 'ReleaseRequested EXPIRY', 'EXPIRING'],
    ['PENDING', 'HoldReleased VOID', 'VOIDED'],
    ['PENDING', 'HoldReleased EXPIRY', 'EXPIRED'],
    ['PENDING', 'TransferVoided', 'VOIDED'],
    ['PENDING', 'TransferExpired', 'EXPIRED'],

    ['FAILED', 'TransferRequested', A],
    ['FAILED', 'TransferRejected', 'FAILED'],
    ['FAILED', 'TransferFailed', 'FAILED'],
    ['FAILED', 'HoldPlaced', X],
    ['FAILED', 'CaptureRequested', X],
    ['FAILED', 'CaptureRequested*', X],
    ['FAILED', 'HoldCaptured', X],
    ['FAILED', 'HoldCaptured*', X],
    ['FAILED', 'TransferCaptured', X],
    ['FAILED', 'TransferCaptured*', X],
    ['FAILED', 'ReleaseRequested VOID', X],
    ['FAILED', 'ReleaseRequested EXPIRY', X],
    ['FAILED', 'HoldReleased VOID', X],
    ['FAILED', 'HoldReleased EXPIRY', X],
    ['FAILED', 'TransferVoided', X],
    ['FAILED', 'TransferExpired', X],

    ['HELD', 'TransferRequested', A],
    ['HELD', 'TransferRejected', X],
    ['HELD', 'TransferFailed', X],
    ['HELD', 'HoldPlaced', X],
    ['HELD', 'CaptureRequested', 'CAPTURING'],
    ['HELD', 'CaptureRequested*', 'CAPTURING'],
    ['HELD', 'HoldCaptured', 'CAPTURED'],
    ['HELD', 'HoldCaptured*', 'CAPTURED'],
    ['HELD', 'TransferCaptured', 'CAPTURED'],
    ['HELD', 'TransferCaptured*', 'CAPTURED'],
    ['HELD', 'ReleaseRequested VOID', 'VOIDING'],
    ['HELD', 'ReleaseRequested EXPIRY', 'EXPIRING'],
    ['HELD', 'HoldReleased VOID', 'VOIDED'],
    ['HELD', 'HoldReleased EXPIRY', 'EXPIRED'],
    ['HELD', 'TransferVoided', 'VOIDED'],
    ['HELD', 'TransferExpired', 'EXPIRED'],

    ['CAPTURING', 'TransferRequested', A],
    ['CAPTURING', 'TransferRejected', X],
    ['CAPTURING', 'TransferFailed', X],
    ['CAPTURING', 'HoldPlaced', X],
    ['CAPTURING', 'CaptureRequested', X],
    ['CAPTURING', 'CaptureRequested*', X],
    ['CAPTURING', 'HoldCaptured', 'CAPTURED'],
    ['CAPTURING', 'HoldCaptured*', X],
    ['CAPTURING', 'TransferCaptured', 'CAPTURED'],
    ['CAPTURING', 'TransferCaptured*', X],
    ['CAPTURING', 'ReleaseRequested VOID', X],
    ['CAPTURING', 'ReleaseRequested EXPIRY', X],
    ['CAPTURING', 'HoldReleased VOID', X],
    ['CAPTURING', 'HoldReleased EXPIRY', X],
    ['CAPTURING', 'TransferVoided', X],
    ['CAPTURING', 'TransferExpired', X],

    ['CAPTURED', 'TransferRequested', A],
    ['CAPTURED', 'TransferRejected', X],
    ['CAPTURED', 'TransferFailed', X],
    ['CAPTURED', 'HoldPlaced', X],
    ['CAPTURED', 'CaptureRequested', X],
    ['CAPTURED', 'CaptureRequested*', X],
    ['CAPTURED', 'HoldCaptured', 'CAPTURED'],
    ['CAPTURED', 'HoldCaptured*', X],
    ['CAPTURED', 'TransferCaptured', 'CAPTURED'],
    ['CAPTURED', 'TransferCaptured*', X],
    ['CAPTURED', 'ReleaseRequested VOID', X],
    ['CAPTURED', 'ReleaseRequested EXPIRY', X],
    ['CAPTURED', 'HoldReleased VOID', X],
    ['CAPTURED', 'HoldReleased EXPIRY', X],
    ['CAPTURED', 'TransferVoided', X],
    ['CAPTURED', 'TransferExpired', X],

    ['VOIDING', 'TransferRequested', A],
    ['VOIDING', 'TransferRejected', X],
    ['VOIDING', 'TransferFailed', X],
    ['VOIDING', 'HoldPlaced', X],
    ['VOIDING', 'CaptureRequested', X],
    ['VOIDING', 'CaptureRequested*', X],
    ['VOIDING', 'HoldCaptured', X],
    ['VOIDING', 'HoldCaptured*', X],
    ['VOIDING', 'TransferCaptured', X],
    ['VOIDING', 'TransferCaptured*', X],
    ['VOIDING', 'ReleaseRequested VOID', X],
    ['VOIDING', 'ReleaseRequested EXPIRY', X],
    ['VOIDING', 'HoldReleased VOID', 'VOIDED'],
    ['VOIDING', 'HoldReleased EXPIRY', X],
    ['VOIDING', 'TransferVoided', 'VOIDED'],
    ['VOIDING', 'TransferExpired', X],

    ['VOIDED', 'TransferRequested', A],
    ['VOIDED', 'TransferRejected', X],
    ['VOIDED', 'TransferFailed', X],
    ['VOIDED', 'HoldPlaced', X],
    ['VOIDED', 'CaptureRequested', X],
    ['VOIDED', 'CaptureRequested*', X],
    ['VOIDED', 'HoldCaptured', X],
    ['VOIDED', 'HoldCaptured*', X],
    ['VOIDED', 'TransferCaptured', X],
    ['VOIDED', 'TransferCaptured*', X],
    ['VOIDED', 'ReleaseRequested VOID', X],
    ['VOIDED', 'ReleaseRequested EXPIRY', X],
    ['VOIDED', 'HoldReleased VOID', 'VOIDED'],
    ['VOIDED', 'HoldReleased EXPIRY', X],
    ['VOIDED', 'TransferVoided', 'VOIDED'],
    ['VOIDED', 'TransferExpired', X],

    ['EXPIRING', 'TransferRequested', A],
    ['EXPIRING', 'TransferRejected', X],
    ['EXPIRING', 'TransferFailed', X],
    ['EXPIRING', 'HoldPlaced', X],
    ['EXPIRING', 'CaptureRequested', X],
    ['EXPIRING', 'CaptureRequested*', X],
    ['EXPIRING', 'HoldCaptured', X],
    ['EXPIRING', 'HoldCaptured*', X],
    ['EXPIRING', 'TransferCaptured', X],
    ['EXPIRING', 'TransferCaptured*', X],
    ['EXPIRING', 'ReleaseRequested VOID', X],
    ['EXPIRING', 'ReleaseRequested EXPIRY', X],
    ['EXPIRING', 'HoldReleased VOID', X],
    ['EXPIRING', 'HoldReleased EXPIRY', 'EXPIRED'],
    ['EXPIRING', 'TransferVoided', X],
    ['EXPIRING', 'TransferExpired', 'EXPIRED'],

    ['EXPIRED', 'TransferRequested', A],
    ['EXPIRED', 'TransferRejected', X],
    ['EXPIRED', 'TransferFailed', X],
    ['EXPIRED', 'HoldPlaced', X],
    ['EXPIRED', 'CaptureRequested', X],
    ['EXPIRED', 'CaptureRequested*', X],
    ['EXPIRED', 'HoldCaptured', X],
    ['EXPIRED', 'HoldCaptured*', X],
    ['EXPIRED', 'TransferCaptured', X],
    ['EXPIRED', 'TransferCaptured*', X],
    ['EXPIRED', 'ReleaseRequested VOID', X],
    ['EXPIRED', 'ReleaseRequested EXPIRY', X],
    ['EXPIRED', 'HoldReleased VOID', X],
    ['EXPIRED', 'HoldReleased EXPIRY', 'EXPIRED'],
    ['EXPIRED', 'TransferVoided', X],
    ['EXPIRED', 'TransferExpired', 'EXPIRED'],
  ];

  it('covers every status a hold can be in x every event a hold can receive, once', () => {
    const pairs = new Set(table.map(([name, which]) => `${name}/${which}`));
    expect(pairs.size).toBe(table.length);
    expect(pairs.size).toBe(Object.keys(HOLD_HISTORIES).length * Object.keys(HOLD_EVENTS).length);
  });

  it('names every event type but the two a hold never receives (TransferPosted, TransferCompleted)', () => {
    const types = new Set<EventType>(Object.values(HOLD_EVENTS).map(({ type }) => type));
    expect(EVENT_TYPES.filter((type) => !types.has(type))).toEqual(['TransferPosted', 'TransferCompleted']);
  });

  it.each(table)('given %s, when %s arrives: %s', (name, which, expected) => {
    const event = newerHoldEvent(name, which);
    const result = applyEvent(given(...HOLD_HISTORIES[name]), event);
    if (expected === A || expected === X) {
      expect(result).toStrictEqual({ outcome: 'illegal', reason: expected });
    } else {
      expect(result).toStrictEqual(holdAppliedAs(expected as KnownStatus, event));
    }
  });

  it.each(['TransferRejected', 'TransferFailed'] as const)(
    'given a FAILED hold, when %s arrives with another reason: illegal CONTRADICTS_OUTCOME',
    (type) => {
      const event = eventOf(type, { id: NEW_EVENT_ID, sequence: 3, facts: HOLD_FACTS, reason: OTHER_REASON });
      expect(applyEvent(given(...HOLD_HISTORIES.FAILED), event)).toStrictEqual({
        outcome: 'illegal',
        reason: 'CONTRADICTS_OUTCOME',
      });
    },
  );

  it('keeps the capture of CaptureRequested in the state, and the hold facts without heldAt or postedAt', () => {
    expect(knownHoldState('CAPTURED')).toStrictEqual({
      status: 'CAPTURED',
      transfer: HOLD_FACTS,
      captureAmountMinor: CAPTURE_AMOUNT_MINOR,
      version: 4,
      lastEventId: eventOf('HoldCaptured').id,
    });
  });
});

/** The event types a hold can receive (TransferPosted and TransferCompleted would throw). */
const HOLD_EVENT_TYPES = EVENT_TYPES.filter(
  (type) => type !== 'TransferPosted' && type !== 'TransferCompleted',
);

describe.each(KNOWN_HOLD)('applyEvent given a %s hold: events that are not applied', (name) => {
  const state = knownHoldState(name);

  it.each(HOLD_EVENT_TYPES)('%s with the id of the last applied event: duplicate', (type) => {
    const event = eventOf(type, { id: state.lastEventId, sequence: state.version, facts: HOLD_FACTS });
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'duplicate' });
  });

  it.each(HOLD_EVENT_TYPES)(
    '%s with the last applied sequence but another id: illegal SEQUENCE_CONFLICT',
    (type) => {
      const event = eventOf(type, { id: NEW_EVENT_ID, sequence: state.version, facts: HOLD_FACTS });
      expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' });
    },
  );

  it.each(HOLD_EVENT_TYPES)('%s of another hold: illegal WRONG_TRANSFER', (type) => {
    const facts = { ...HOLD_FACTS, transferId: OTHER_TRANSFER_FACTS.transferId };
    const event = eventOf(type, { id: NEW_EVENT_ID, sequence: state.version + 1, facts });
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'WRONG_TRANSFER' });
  });

  const mismatches: [string, TransferFacts][] = [
    ...oneFactChanged(HOLD_FACTS),
    ['another amount', { ...HOLD_FACTS, amountMinor: HOLD_FACTS.amountMinor + 1n }],
    ['another holdExpiresAt', { ...HOLD_FACTS, holdExpiresAt: '2025-01-09T03:04:05.001Z' }],
    ['a refundOf', { ...HOLD_FACTS, refundOf: FACTS.transferId }],
  ];
  describe.each(mismatches)('with %s for the same transfer id', (_what, facts) => {
    it.each(HOLD_EVENT_TYPES)('%s: illegal FACTS_MISMATCH', (type) => {
      const event = eventOf(type, { id: NEW_EVENT_ID, sequence: state.version + 1, facts });
      expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'FACTS_MISMATCH' });
    });
  });

  const olderSequences = Array.from({ length: state.version - 1 }, (_, index) => index + 1);
  if (olderSequences.length > 0) {
    it.each(HOLD_EVENT_TYPES)(
      '%s with an older sequence (even with other facts or outcome): stale',
      (type) => {
        for (const sequence of olderSequences) {
          const event = eventOf(type, {
            id: NEW_EVENT_ID,
            sequence,
            facts: mismatches[0]?.[1] ?? HOLD_FACTS,
            reason: OTHER_REASON,
            release: 'EXPIRY',
            captureAmountMinor: OTHER_CAPTURE_AMOUNT_MINOR,
          });
          expect(applyEvent(state, event)).toStrictEqual({ outcome: 'stale' });
        }
      },
    );
  }
});

describe('applyEvent: the kind of transfer', () => {
  it('takes the same instant spelt +00:00 for the hold expiry it knows as Z, and keeps its spelling', () => {
    const spelt = { ...HOLD_FACTS, holdExpiresAt: HOLD_FACTS.holdExpiresAt.replace('.000Z', '+00:00') };
    expect(spelt.holdExpiresAt).toBe('2025-01-09T03:04:05+00:00');
    const event = eventOf('CaptureRequested', { facts: spelt });
    expect(applyEvent(given(...HOLD_HISTORIES.HELD), event)).toStrictEqual(holdAppliedAs('CAPTURING', event));
  });

  it('takes a refundOf in upper case for the refunded payment it knows', () => {
    const state = given(eventOf('TransferRequested', { facts: REFUND_FACTS }));
    const event = eventOf('TransferPosted', {
      facts: { ...REFUND_FACTS, refundOf: REFUND_FACTS.refundOf.toUpperCase() },
    });
    const result = applyEvent(state, event);
    expect(result.outcome === 'applied' && result.state).toStrictEqual({
      status: 'COMPLETED',
      transfer: REFUND_FACTS,
      version: 2,
      lastEventId: event.id,
    });
  });

  it('refuses a refund event that names another refunded payment: illegal FACTS_MISMATCH', () => {
    const state = given(eventOf('TransferRequested', { facts: REFUND_FACTS }));
    const event = eventOf('TransferPosted', {
      facts: { ...REFUND_FACTS, refundOf: OTHER_TRANSFER_FACTS.transferId },
    });
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'FACTS_MISMATCH' });
  });

  it('refuses a hold event that says the transfer is a payment (no holdExpiresAt): illegal FACTS_MISMATCH', () => {
    const event = eventOf('TransferRejected', {
      sequence: 3,
      facts: { ...FACTS, transferId: HOLD_FACTS.transferId },
    });
    expect(applyEvent(given(...HOLD_HISTORIES.HELD), event)).toStrictEqual({
      outcome: 'illegal',
      reason: 'FACTS_MISMATCH',
    });
  });

  // The codec refuses both (a hold event without holdExpiresAt, a posted or completed hold): one
  // reaching the state machine is a bug, so it throws instead of returning an outcome.
  it.each(HOLD_ONLY_EVENT_TYPES)("throws on %s with a payment's facts, from any state", (type) => {
    const event = eventOf(type, { facts: FACTS });
    expect(() => applyEvent(INITIAL_TRANSFER_STATE, event)).toThrow(/cannot happen to a payment/);
    expect(() => applyEvent(knownState('PENDING'), event)).toThrow(/cannot happen to a payment/);
  });

  it.each(['TransferPosted', 'TransferCompleted'] as const)(
    'throws on %s of a hold, from any state',
    (type) => {
      const event = eventOf(type, { facts: HOLD_FACTS });
      expect(() => applyEvent(INITIAL_TRANSFER_STATE, event)).toThrow(/cannot happen to a hold/);
      expect(() => applyEvent(knownHoldState('HELD'), event)).toThrow(/cannot happen to a hold/);
    },
  );

  it("throws on a hold-only event with a refund's facts", () => {
    expect(() => applyEvent(INITIAL_TRANSFER_STATE, eventOf('HoldPlaced', { facts: REFUND_FACTS }))).toThrow(
      /cannot happen to a refund/,
    );
  });
});

describe('applyEvent: a clean history, then redelivery', () => {
  it('given Requested, Posted, Completed: COMPLETED at version 3; any of them again is duplicate or stale', () => {
    const completed = eventOf('TransferCompleted');
    const history = [eventOf('TransferRequested'), eventOf('TransferPosted'), completed];
    const state = given(...history);
    expect(state).toStrictEqual({
      status: 'COMPLETED',
      transfer: FACTS,
      version: 3,
      lastEventId: completed.id,
    });
    expect(history.map((event) => applyEvent(state, event).outcome)).toEqual(['stale', 'stale', 'duplicate']);
  });

  it('given Requested, Rejected, Failed: FAILED at version 3 with the reason', () => {
    const failed = eventOf('TransferFailed');
    const state = given(eventOf('TransferRequested'), eventOf('TransferRejected'), failed);
    expect(state).toStrictEqual({
      status: 'FAILED',
      transfer: FACTS,
      reason: REASON,
      version: 3,
      lastEventId: failed.id,
    });
  });

  it('applies a sequence that skips links of the chain (PENDING, then Completed at 3)', () => {
    const result = applyEvent(given(eventOf('TransferRequested')), eventOf('TransferCompleted'));
    expect(result).toStrictEqual(appliedAs('COMPLETED', eventOf('TransferCompleted')));
  });

  it('throws on an event whose aggregateId differs from its payload (a bug: the codec refuses it)', () => {
    const event: OncePayEvent = {
      ...eventOf('TransferPosted'),
      aggregateId: OTHER_TRANSFER_FACTS.transferId,
    };
    expect(() => applyEvent(INITIAL_TRANSFER_STATE, event)).toThrow(/differs from payload\.transferId/);
  });
});

describe('evolve', () => {
  it('returns the applied state for an applicable event', () => {
    const event = eventOf('TransferRequested');
    expect(evolve(INITIAL_TRANSFER_STATE, event)).toStrictEqual(appliedAs('PENDING', event).state);
  });

  it.each<[string, OncePayEvent]>([
    ['a duplicate', eventOf('TransferPosted')],
    ['a stale event', eventOf('TransferRequested')],
    ['an illegal event', eventOf('TransferRejected', { sequence: 3 })],
  ])('returns the same state for %s', (_name, event) => {
    const state = given(...HISTORIES.COMPLETED);
    expect(evolve(state, event)).toBe(state);
  });
});
