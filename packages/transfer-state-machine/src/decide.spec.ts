// Proves decide for both commands in every state, as given events / when command / then decision, and
// that the events it emits are applied by evolve to the expected next state.
import type { OncePayEvent, TransferPosted, TransferRejected } from '@oncepay/contracts';
import { applyEvent } from './apply-event';
import { decide, TRANSFER_SERVICE_PRODUCER, type Decision, type TransferCommand } from './decide';
import {
  CONFLICTING_FACTS,
  CORRELATION_ID,
  eventId,
  eventOf,
  FACTS,
  given,
  NOW,
  OTHER_TRANSFER_FACTS,
  REASON,
} from './transfer-events.fixture';
import type { TransferState } from './transfer-state';

const DECIDED_EVENT_ID = eventId(0xd00d);

const requestTransfer = (transfer = FACTS): TransferCommand => ({
  type: 'RequestTransfer',
  transfer,
  eventId: DECIDED_EVENT_ID,
  correlationId: CORRELATION_ID,
  now: NOW,
});

const recordLedgerResult = (event: TransferPosted | TransferRejected): TransferCommand => ({
  type: 'RecordLedgerResult',
  event,
  eventId: DECIDED_EVENT_ID,
  now: NOW,
});

const requested = eventOf('TransferRequested');
const posted = eventOf('TransferPosted');
const rejected = eventOf('TransferRejected');
const completed = eventOf('TransferCompleted');
const failed = eventOf('TransferFailed');

/** The states transfer-service itself goes through, plus terminal states projected from a ledger result. */
const GIVEN: Record<string, OncePayEvent[]> = {
  NONE: [],
  PENDING: [requested],
  'COMPLETED (final event recorded)': [requested, completed],
  'FAILED (final event recorded)': [requested, failed],
  'COMPLETED (projected from TransferPosted)': [requested, posted],
  'FAILED (projected from TransferRejected)': [requested, rejected],
};

/** Runs the decision's events through applyEvent, failing if any is not applied: decide and evolve agree. */
function thenState(state: TransferState, decision: Decision): TransferState {
  if (decision.outcome !== 'accepted') throw new Error(`expected accepted, got ${decision.outcome}`);
  return decision.events.reduce<TransferState>((current, event) => {
    const result = applyEvent(current, event);
    if (result.outcome !== 'applied') throw new Error(`decided ${event.type} was ${result.outcome}`);
    return result.state;
  }, state);
}

describe('decide RequestTransfer', () => {
  it('given no events: TransferRequested at sequence 1, then PENDING', () => {
    const state = given();
    const decision = decide(requestTransfer(), state);
    expect(decision).toStrictEqual({
      outcome: 'accepted',
      events: [
        {
          id: DECIDED_EVENT_ID,
          type: 'TransferRequested',
          schemaVersion: 1,
          occurredAt: NOW.toISOString(),
          producer: TRANSFER_SERVICE_PRODUCER,
          aggregateId: FACTS.transferId,
          sequence: 1,
          correlationId: CORRELATION_ID,
          causationId: null,
          payload: FACTS,
        },
      ],
    });
    expect(thenState(state, decision)).toStrictEqual({
      status: 'PENDING',
      transfer: FACTS,
      version: 1,
      lastEventId: DECIDED_EVENT_ID,
    });
  });

  it('copies only the transfer facts into the event, whatever else the caller passed', () => {
    const withExtra = { ...FACTS, note: 'not a transfer fact' };
    const decision = decide(requestTransfer(withExtra), given());
    expect(decision.outcome === 'accepted' && decision.events[0]?.payload).toStrictEqual(FACTS);
  });

  describe.each(Object.entries(GIVEN).filter(([name]) => name !== 'NONE'))('given %s', (_name, history) => {
    it('when the same transfer is requested again: duplicate, no event', () => {
      expect(decide(requestTransfer(), given(...history))).toStrictEqual({ outcome: 'duplicate' });
    });

    it('when other facts are requested under its id: illegal FACTS_MISMATCH', () => {
      expect(decide(requestTransfer(CONFLICTING_FACTS), given(...history))).toStrictEqual({
        outcome: 'illegal',
        reason: 'FACTS_MISMATCH',
      });
    });
  });
});

describe('decide RecordLedgerResult', () => {
  it.each([
    ['TransferPosted', posted],
    ['TransferRejected', rejected],
  ] as const)('given no events, when %s arrives: illegal UNKNOWN_TRANSFER', (_type, ledgerEvent) => {
    expect(decide(recordLedgerResult(ledgerEvent), given())).toStrictEqual({
      outcome: 'illegal',
      reason: 'UNKNOWN_TRANSFER',
    });
  });

  it('given PENDING, when TransferPosted arrives: TransferCompleted caused by it, then COMPLETED', () => {
    const state = given(requested);
    const decision = decide(recordLedgerResult(posted), state);
    expect(decision).toStrictEqual({
      outcome: 'accepted',
      events: [
        {
          id: DECIDED_EVENT_ID,
          type: 'TransferCompleted',
          schemaVersion: 1,
          occurredAt: NOW.toISOString(),
          producer: TRANSFER_SERVICE_PRODUCER,
          aggregateId: FACTS.transferId,
          sequence: posted.sequence + 1,
          correlationId: posted.correlationId,
          causationId: posted.id,
          payload: FACTS,
        },
      ],
    });
    expect(thenState(state, decision)).toStrictEqual({
      status: 'COMPLETED',
      transfer: FACTS,
      version: 3,
      lastEventId: DECIDED_EVENT_ID,
    });
  });

  it('given PENDING, when TransferRejected arrives: TransferFailed with its reason, then FAILED', () => {
    const state = given(requested);
    const decision = decide(recordLedgerResult(rejected), state);
    expect(decision).toStrictEqual({
      outcome: 'accepted',
      events: [
        {
          id: DECIDED_EVENT_ID,
          type: 'TransferFailed',
          schemaVersion: 1,
          occurredAt: NOW.toISOString(),
          producer: TRANSFER_SERVICE_PRODUCER,
          aggregateId: FACTS.transferId,
          sequence: rejected.sequence + 1,
          correlationId: rejected.correlationId,
          causationId: rejected.id,
          payload: { ...FACTS, reason: REASON },
        },
      ],
    });
    expect(thenState(state, decision)).toStrictEqual({
      status: 'FAILED',
      transfer: FACTS,
      reason: REASON,
      version: 3,
      lastEventId: DECIDED_EVENT_ID,
    });
  });

  it('given PENDING, when a ledger result skips sequences: the final event follows it (sequence + 1)', () => {
    const decision = decide(recordLedgerResult(eventOf('TransferPosted', { sequence: 7 })), given(requested));
    expect(decision.outcome === 'accepted' && decision.events.map((event) => event.sequence)).toEqual([8]);
  });

  it.each<[string, TransferPosted | TransferRejected, Decision]>([
    [
      'a result for another transfer',
      eventOf('TransferPosted', { facts: OTHER_TRANSFER_FACTS }),
      { outcome: 'illegal', reason: 'WRONG_TRANSFER' },
    ],
    [
      'a result with other facts',
      eventOf('TransferRejected', { facts: CONFLICTING_FACTS }),
      { outcome: 'illegal', reason: 'FACTS_MISMATCH' },
    ],
    [
      'a result at the sequence of TransferRequested',
      eventOf('TransferPosted', { sequence: 1 }),
      { outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' },
    ],
  ])('given PENDING, when %s arrives: refused', (_name, ledgerEvent, expected) => {
    expect(decide(recordLedgerResult(ledgerEvent), given(requested))).toStrictEqual(expected);
  });

  // Every terminal state x ledger event type. `newer` is a ledger result at sequence 3 with a fresh id,
  // which transfer-service never sees in practice but must still not turn into a second final event.
  const terminalTable: [
    string,
    OncePayEvent[],
    'posted' | 'rejected' | 'newer posted' | 'newer rejected',
    Decision,
  ][] = [
    ['COMPLETED (final event recorded)', [requested, completed], 'posted', { outcome: 'stale' }],
    ['COMPLETED (final event recorded)', [requested, completed], 'rejected', { outcome: 'stale' }],
    ['FAILED (final event recorded)', [requested, failed], 'posted', { outcome: 'stale' }],
    ['FAILED (final event recorded)', [requested, failed], 'rejected', { outcome: 'stale' }],
    ['COMPLETED (projected from TransferPosted)', [requested, posted], 'posted', { outcome: 'duplicate' }],
    [
      'COMPLETED (projected from TransferPosted)',
      [requested, posted],
      'rejected',
      { outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' },
    ],
    [
      'COMPLETED (projected from TransferPosted)',
      [requested, posted],
      'newer posted',
      { outcome: 'duplicate' },
    ],
    [
      'COMPLETED (projected from TransferPosted)',
      [requested, posted],
      'newer rejected',
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    ['FAILED (projected from TransferRejected)', [requested, rejected], 'rejected', { outcome: 'duplicate' }],
    [
      'FAILED (projected from TransferRejected)',
      [requested, rejected],
      'posted',
      { outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' },
    ],
    [
      'FAILED (projected from TransferRejected)',
      [requested, rejected],
      'newer rejected',
      { outcome: 'duplicate' },
    ],
    [
      'FAILED (projected from TransferRejected)',
      [requested, rejected],
      'newer posted',
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
  ];
  const ledgerEvents = {
    posted,
    rejected,
    'newer posted': eventOf('TransferPosted', { id: eventId(0xe1), sequence: 3 }),
    'newer rejected': eventOf('TransferRejected', { id: eventId(0xe2), sequence: 3 }),
  };

  it.each(terminalTable)('given %s, when %s arrives: %j, no event', (_name, history, which, expected) => {
    expect(decide(recordLedgerResult(ledgerEvents[which]), given(...history))).toStrictEqual(expected);
  });
});
