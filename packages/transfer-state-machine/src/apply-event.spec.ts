// Proves applyEvent's outcome for every state x event type pair: the transition table for newer events,
// and duplicate, stale, sequence-conflict, wrong-transfer and facts-mismatch outcomes, plus evolve's fold.
import { EVENT_TYPES, type EventType, type OncePayEvent } from '@oncepay/contracts';
import { applyEvent, evolve, type ApplyResult, type IllegalEventReason } from './apply-event';
import {
  CONFLICTING_FACTS,
  eventId,
  eventOf,
  FACTS,
  given,
  OTHER_REASON,
  OTHER_TRANSFER_FACTS,
  REASON,
} from './transfer-events.fixture';
import { INITIAL_TRANSFER_STATE, type KnownTransferState, type TransferState } from './transfer-state';

/** One history per status. The terminal ones stop at the ledger's answer so a newer event (3) exists. */
const HISTORIES = {
  NONE: [],
  PENDING: [eventOf('TransferRequested')],
  COMPLETED: [eventOf('TransferRequested'), eventOf('TransferPosted')],
  FAILED: [eventOf('TransferRequested'), eventOf('TransferRejected')],
} satisfies Record<TransferState['status'], OncePayEvent[]>;
type Given = keyof typeof HISTORIES;
const KNOWN: Exclude<Given, 'NONE'>[] = ['PENDING', 'COMPLETED', 'FAILED'];

function knownState(name: Exclude<Given, 'NONE'>): KnownTransferState {
  const state = given(...HISTORIES[name]);
  if (state.status === 'NONE') throw new Error(`history ${name} left the transfer unknown`);
  return state;
}

const NEW_EVENT_ID = eventId(0xabc);

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

  it('covers every state x event type pair', () => {
    const pairs = new Set(table.map(([name, type]) => `${name}/${type}`));
    expect(pairs.size).toBe(Object.keys(HISTORIES).length * EVENT_TYPES.length);
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

  it.each(EVENT_TYPES)('%s with the id of the last applied event: duplicate', (type) => {
    const event = eventOf(type, { id: state.lastEventId, sequence: state.version });
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'duplicate' });
  });

  it.each(EVENT_TYPES)(
    '%s with the last applied sequence but another id: illegal SEQUENCE_CONFLICT',
    (type) => {
      const event = eventOf(type, { id: NEW_EVENT_ID, sequence: state.version });
      expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' });
    },
  );

  it.each(EVENT_TYPES)('%s of another transfer: illegal WRONG_TRANSFER', (type) => {
    const event = newerEvent(name, type, OTHER_TRANSFER_FACTS);
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'WRONG_TRANSFER' });
  });

  it.each(EVENT_TYPES)('%s with other facts for the same transfer id: illegal FACTS_MISMATCH', (type) => {
    const event = newerEvent(name, type, CONFLICTING_FACTS);
    expect(applyEvent(state, event)).toStrictEqual({ outcome: 'illegal', reason: 'FACTS_MISMATCH' });
  });

  // PENDING sits at sequence 1, the lowest there is, so nothing can be older than it.
  const olderSequences = Array.from({ length: state.version - 1 }, (_, index) => index + 1);
  if (olderSequences.length > 0) {
    it.each(EVENT_TYPES)('%s with an older sequence (even with other facts or outcome): stale', (type) => {
      for (const sequence of olderSequences) {
        const event = eventOf(type, {
          id: NEW_EVENT_ID,
          sequence,
          facts: CONFLICTING_FACTS,
          reason: OTHER_REASON,
        });
        expect(applyEvent(state, event)).toStrictEqual({ outcome: 'stale' });
      }
    });
  }
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
