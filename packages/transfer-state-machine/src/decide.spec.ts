// Proves decide for every command in every state, as given events / when command / then decision, and
// that the events it emits are applied by evolve to the expected next state: a payment's request and
// ledger result, a hold's capture, void and expiry (every refusal, the expiry boundary) and the
// ledger's answers carrying them out, with their redeliveries.
import type {
  HoldCaptured,
  HoldPlaced,
  HoldReleased,
  OncePayEvent,
  TransferPosted,
  TransferRejected,
} from '@oncepay/contracts';
import { applyEvent } from './apply-event';
import {
  decide,
  TRANSFER_SERVICE_PRODUCER,
  type CaptureHold,
  type Decision,
  type ExpireHold,
  type StepRefusal,
  type TransferCommand,
  type VoidHold,
} from './decide';
import {
  CAPTURE_AMOUNT_MINOR,
  CONFLICTING_FACTS,
  CORRELATION_ID,
  eventId,
  eventOf,
  FACTS,
  given,
  HOLD_EXPIRES_AT,
  HOLD_FACTS,
  HOLD_HISTORIES,
  NOW,
  OTHER_CAPTURE_AMOUNT_MINOR,
  OTHER_TRANSFER_FACTS,
  REASON,
  REFUND_FACTS,
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

// A hold's steps. `at` is the hold's expiry itself: from that instant on the hold is expired.
const BEFORE_EXPIRY = new Date(HOLD_EXPIRES_AT.getTime() - 1);
const AT_EXPIRY = HOLD_EXPIRES_AT;
const AFTER_EXPIRY = new Date(HOLD_EXPIRES_AT.getTime() + 86_400_000);
const STEP_CORRELATION_ID = 'req-capture-1';

const captureHold = (captureAmountMinor: bigint, now = NOW): CaptureHold => ({
  type: 'CaptureHold',
  captureAmountMinor,
  eventId: DECIDED_EVENT_ID,
  correlationId: STEP_CORRELATION_ID,
  now,
});
const voidHold = (now = NOW): VoidHold => ({
  type: 'VoidHold',
  eventId: DECIDED_EVENT_ID,
  correlationId: STEP_CORRELATION_ID,
  now,
});
const expireHold = (now = AFTER_EXPIRY): ExpireHold => ({
  type: 'ExpireHold',
  eventId: DECIDED_EVENT_ID,
  correlationId: STEP_CORRELATION_ID,
  now,
});

const HOLD_MINOR = HOLD_FACTS.amountMinor;
/** Every step, named, at the times and amounts that matter; `null` marks one the HELD hold accepts. */
const STEPS = {
  'capture of part, before expiry': captureHold(CAPTURE_AMOUNT_MINOR, BEFORE_EXPIRY),
  'capture of exactly the hold': captureHold(HOLD_MINOR),
  'capture of 1': captureHold(1n),
  'capture of 1 more than the hold': captureHold(HOLD_MINOR + 1n),
  'capture at expiry': captureHold(CAPTURE_AMOUNT_MINOR, AT_EXPIRY),
  'capture of more than the hold, after expiry': captureHold(HOLD_MINOR + 1n, AFTER_EXPIRY),
  'void before expiry': voidHold(BEFORE_EXPIRY),
  'void at expiry': voidHold(AT_EXPIRY),
  'expiry before it is due': expireHold(BEFORE_EXPIRY),
  'expiry at the instant it is due': expireHold(AT_EXPIRY),
  'expiry after it is due': expireHold(AFTER_EXPIRY),
} satisfies Record<string, CaptureHold | VoidHold | ExpireHold>;
type StepName = keyof typeof STEPS;
const STEP_NAMES = Object.keys(STEPS) as StepName[];

/** What the HELD hold answers to each step, written out. */
const FROM_HELD: Record<StepName, StepRefusal | 'CAPTURING' | 'VOIDING' | 'EXPIRING'> = {
  'capture of part, before expiry': 'CAPTURING',
  'capture of exactly the hold': 'CAPTURING',
  'capture of 1': 'CAPTURING',
  'capture of 1 more than the hold': 'CAPTURE_EXCEEDS_HOLD',
  'capture at expiry': 'HOLD_EXPIRED',
  'capture of more than the hold, after expiry': 'HOLD_EXPIRED',
  'void before expiry': 'VOIDING',
  'void at expiry': 'HOLD_EXPIRED',
  'expiry before it is due': 'HOLD_NOT_DUE',
  'expiry at the instant it is due': 'EXPIRING',
  'expiry after it is due': 'EXPIRING',
};

/** What a PENDING hold (not placed yet) answers: not placed, but expired for a client past its expiry. */
const FROM_PENDING: Record<StepName, StepRefusal> = {
  'capture of part, before expiry': 'HOLD_NOT_PLACED',
  'capture of exactly the hold': 'HOLD_NOT_PLACED',
  'capture of 1': 'HOLD_NOT_PLACED',
  'capture of 1 more than the hold': 'HOLD_NOT_PLACED',
  'capture at expiry': 'HOLD_EXPIRED',
  'capture of more than the hold, after expiry': 'HOLD_EXPIRED',
  'void before expiry': 'HOLD_NOT_PLACED',
  'void at expiry': 'HOLD_EXPIRED',
  'expiry before it is due': 'HOLD_NOT_PLACED',
  'expiry at the instant it is due': 'HOLD_NOT_PLACED',
  'expiry after it is due': 'HOLD_NOT_PLACED',
};

/** Every other state refuses every step with one reason, whatever the time or amount. */
const REFUSING_STATES: [string, OncePayEvent[], StepRefusal][] = [
  ['NONE', [], 'UNKNOWN_TRANSFER'],
  ['a PENDING payment', [requested], 'NOT_A_HOLD'],
  ['a COMPLETED payment', [requested, completed], 'NOT_A_HOLD'],
  ['a FAILED payment', [requested, failed], 'NOT_A_HOLD'],
  [
    'a COMPLETED refund',
    [
      eventOf('TransferRequested', { facts: REFUND_FACTS }),
      eventOf('TransferPosted', { facts: REFUND_FACTS }),
    ],
    'NOT_A_HOLD',
  ],
  ['a FAILED hold', HOLD_HISTORIES.FAILED, 'HOLD_FAILED'],
  ['a CAPTURING hold', HOLD_HISTORIES.CAPTURING, 'HOLD_CAPTURED'],
  ['a CAPTURED hold', HOLD_HISTORIES.CAPTURED, 'HOLD_CAPTURED'],
  ['a VOIDING hold', HOLD_HISTORIES.VOIDING, 'HOLD_VOIDED'],
  ['a VOIDED hold', HOLD_HISTORIES.VOIDED, 'HOLD_VOIDED'],
  ['an EXPIRING hold', HOLD_HISTORIES.EXPIRING, 'HOLD_EXPIRED'],
  ['an EXPIRED hold', HOLD_HISTORIES.EXPIRED, 'HOLD_EXPIRED'],
];

describe('decide CaptureHold, VoidHold, ExpireHold', () => {
  it('names every StepRefusal somewhere in the tables', () => {
    const reasons = new Set([
      ...Object.values(FROM_HELD),
      ...Object.values(FROM_PENDING),
      ...REFUSING_STATES.map(([, , reason]) => reason),
    ]);
    const all: StepRefusal[] = [
      'UNKNOWN_TRANSFER',
      'NOT_A_HOLD',
      'HOLD_NOT_PLACED',
      'HOLD_FAILED',
      'HOLD_CAPTURED',
      'HOLD_VOIDED',
      'HOLD_EXPIRED',
      'CAPTURE_EXCEEDS_HOLD',
      'HOLD_NOT_DUE',
    ];
    expect(all.filter((reason) => !reasons.has(reason))).toEqual([]);
  });

  describe.each(REFUSING_STATES)('given %s', (_name, history, reason) => {
    it.each(STEP_NAMES)(`when %s: refused ${reason}`, (step) => {
      expect(decide(STEPS[step], given(...history))).toStrictEqual({ outcome: 'refused', reason });
    });
  });

  describe('given a PENDING hold (not placed yet)', () => {
    it.each(STEP_NAMES)('when %s: as the table says', (step) => {
      expect(decide(STEPS[step], given(...HOLD_HISTORIES.PENDING))).toStrictEqual({
        outcome: 'refused',
        reason: FROM_PENDING[step],
      });
    });
  });

  describe('given a HELD hold', () => {
    const state = given(...HOLD_HISTORIES.HELD);
    const placedEvent = HOLD_HISTORIES.HELD[1];

    it.each(STEP_NAMES)('when %s: as the table says', (step) => {
      const expected = FROM_HELD[step];
      const decision = decide(STEPS[step], state);
      if (expected !== 'CAPTURING' && expected !== 'VOIDING' && expected !== 'EXPIRING') {
        expect(decision).toStrictEqual({ outcome: 'refused', reason: expected });
        return;
      }
      const command = STEPS[step];
      const meta = {
        id: DECIDED_EVENT_ID,
        schemaVersion: 1,
        occurredAt: command.now.toISOString(),
        producer: TRANSFER_SERVICE_PRODUCER,
        aggregateId: HOLD_FACTS.transferId,
        sequence: 3,
        correlationId: STEP_CORRELATION_ID,
        causationId: placedEvent?.id,
      };
      const event =
        command.type === 'CaptureHold'
          ? {
              ...meta,
              type: 'CaptureRequested',
              payload: { ...HOLD_FACTS, captureAmountMinor: command.captureAmountMinor },
            }
          : {
              ...meta,
              type: 'ReleaseRequested',
              payload: { ...HOLD_FACTS, release: command.type === 'VoidHold' ? 'VOID' : 'EXPIRY' },
            };
      expect(decision).toStrictEqual({ outcome: 'accepted', events: [event] });
      const known = { transfer: HOLD_FACTS, version: 3, lastEventId: DECIDED_EVENT_ID };
      expect(thenState(state, decision)).toStrictEqual(
        command.type === 'CaptureHold'
          ? { status: expected, ...known, captureAmountMinor: command.captureAmountMinor }
          : { status: expected, ...known },
      );
    });

    it.each([0n, -1n])('throws on a capture of %s (the API accepts positive amounts only)', (amount) => {
      expect(() => decide(captureHold(amount), state)).toThrow(RangeError);
    });
  });
});

const recordHoldAnswer = (
  event: HoldPlaced | HoldCaptured | HoldReleased | TransferRejected,
): TransferCommand => ({
  type: 'RecordLedgerResult',
  event,
  eventId: DECIDED_EVENT_ID,
  now: NOW,
});

/** `HoldCaptured of 10000 #4 (id ...0407)`: what a row's answer is, for its test title. */
function describeAnswer(answer: HoldPlaced | HoldCaptured | HoldReleased): string {
  const detail =
    answer.type === 'HoldCaptured'
      ? ` of ${answer.payload.captureAmountMinor}`
      : answer.type === 'HoldReleased'
        ? ` ${answer.payload.release}`
        : '';
  return `${answer.type}${detail} #${answer.sequence} (id ...${answer.id.slice(-4)})`;
}

const holdPlaced = eventOf('HoldPlaced');
const holdCaptured = eventOf('HoldCaptured');
const voidReleased = eventOf('HoldReleased', { release: 'VOID' });
const expiryReleased = eventOf('HoldReleased', { release: 'EXPIRY' });

describe('decide RecordLedgerResult for a hold', () => {
  it('given no events, when HoldPlaced arrives: illegal UNKNOWN_TRANSFER', () => {
    expect(decide(recordHoldAnswer(holdPlaced), given())).toStrictEqual({
      outcome: 'illegal',
      reason: 'UNKNOWN_TRANSFER',
    });
  });

  it('given a PENDING hold, when HoldPlaced arrives: accepted with no event (HELD is no final word)', () => {
    const state = given(...HOLD_HISTORIES.PENDING);
    const decision = decide(recordHoldAnswer(holdPlaced), state);
    expect(decision).toStrictEqual({ outcome: 'accepted', events: [] });
    // transfer-service evolves the state with the ledger's answer, then with the (no) events decided.
    expect(thenState(state, { outcome: 'accepted', events: [holdPlaced] })).toStrictEqual({
      status: 'HELD',
      transfer: HOLD_FACTS,
      version: 2,
      lastEventId: holdPlaced.id,
    });
  });

  it('given a PENDING hold, when TransferRejected arrives: TransferFailed with the hold facts, then FAILED', () => {
    const rejectedHold = eventOf('TransferRejected', { facts: HOLD_FACTS });
    const state = given(...HOLD_HISTORIES.PENDING);
    const decision = decide(recordHoldAnswer(rejectedHold), state);
    expect(decision.outcome === 'accepted' && decision.events).toStrictEqual([
      {
        id: DECIDED_EVENT_ID,
        type: 'TransferFailed',
        schemaVersion: 1,
        occurredAt: NOW.toISOString(),
        producer: TRANSFER_SERVICE_PRODUCER,
        aggregateId: HOLD_FACTS.transferId,
        sequence: 3,
        correlationId: rejectedHold.correlationId,
        causationId: rejectedHold.id,
        payload: { ...HOLD_FACTS, reason: REASON },
      },
    ]);
    expect(thenState(state, decision)).toMatchObject({ status: 'FAILED', reason: REASON, version: 3 });
  });

  it.each<
    [
      string,
      OncePayEvent[],
      HoldCaptured | HoldReleased,
      'TransferCaptured' | 'TransferVoided' | 'TransferExpired',
      object,
    ]
  >([
    [
      'CAPTURING',
      HOLD_HISTORIES.CAPTURING,
      holdCaptured,
      'TransferCaptured',
      { captureAmountMinor: CAPTURE_AMOUNT_MINOR },
    ],
    ['VOIDING', HOLD_HISTORIES.VOIDING, voidReleased, 'TransferVoided', {}],
    ['EXPIRING', HOLD_HISTORIES.EXPIRING, expiryReleased, 'TransferExpired', {}],
  ])(
    'given %s, when the ledger carries it out: the final word at 5, caused by the answer',
    (_name, history, answer, finalType, extra) => {
      const state = given(...history);
      const decision = decide(recordHoldAnswer(answer), state);
      expect(decision).toStrictEqual({
        outcome: 'accepted',
        events: [
          {
            id: DECIDED_EVENT_ID,
            type: finalType,
            schemaVersion: 1,
            occurredAt: NOW.toISOString(),
            producer: TRANSFER_SERVICE_PRODUCER,
            aggregateId: HOLD_FACTS.transferId,
            sequence: 5,
            correlationId: answer.correlationId,
            causationId: answer.id,
            payload: { ...HOLD_FACTS, ...extra },
          },
        ],
      });
      const status = { TransferCaptured: 'CAPTURED', TransferVoided: 'VOIDED', TransferExpired: 'EXPIRED' }[
        finalType
      ];
      expect(thenState(given(...history, answer), decision)).toStrictEqual({
        status,
        transfer: HOLD_FACTS,
        version: 5,
        lastEventId: DECIDED_EVENT_ID,
        ...extra,
      });
    },
  );

  const otherCapture = eventOf('HoldCaptured', { captureAmountMinor: OTHER_CAPTURE_AMOUNT_MINOR });
  const finalWords = {
    captured: eventOf('TransferCaptured', { id: eventId(0xf1) }),
    voided: eventOf('TransferVoided', { id: eventId(0xf2) }),
    expired: eventOf('TransferExpired', { id: eventId(0xf3) }),
  };
  const table: [string, OncePayEvent[], HoldPlaced | HoldCaptured | HoldReleased, Decision][] = [
    // Redeliveries: the answer again while it is the last applied event, or after the final word.
    ['HELD', HOLD_HISTORIES.HELD, holdPlaced, { outcome: 'duplicate' }],
    ['CAPTURING', HOLD_HISTORIES.CAPTURING, holdPlaced, { outcome: 'stale' }],
    [
      'CAPTURED (projected from HoldCaptured)',
      HOLD_HISTORIES.CAPTURED,
      holdCaptured,
      { outcome: 'duplicate' },
    ],
    [
      'CAPTURED (final word recorded)',
      [...HOLD_HISTORIES.CAPTURED, finalWords.captured],
      holdCaptured,
      { outcome: 'stale' },
    ],
    ['VOIDED (projected from HoldReleased)', HOLD_HISTORIES.VOIDED, voidReleased, { outcome: 'duplicate' }],
    [
      'VOIDED (final word recorded)',
      [...HOLD_HISTORIES.VOIDED, finalWords.voided],
      voidReleased,
      { outcome: 'stale' },
    ],
    [
      'EXPIRED (projected from HoldReleased)',
      HOLD_HISTORIES.EXPIRED,
      expiryReleased,
      { outcome: 'duplicate' },
    ],
    [
      'EXPIRED (final word recorded)',
      [...HOLD_HISTORIES.EXPIRED, finalWords.expired],
      expiryReleased,
      { outcome: 'stale' },
    ],
    // The same ending again under a newer sequence: confirms the terminal status, no second final word.
    [
      'CAPTURED (projected)',
      HOLD_HISTORIES.CAPTURED,
      eventOf('HoldCaptured', { id: eventId(0xe1), sequence: 5 }),
      { outcome: 'duplicate' },
    ],
    // Answers to a step transfer-service never decided: the ledger never ends a hold on its own.
    ['HELD', HOLD_HISTORIES.HELD, holdCaptured, { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' }],
    ['HELD', HOLD_HISTORIES.HELD, voidReleased, { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' }],
    ['HELD', HOLD_HISTORIES.HELD, expiryReleased, { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' }],
    [
      'PENDING',
      HOLD_HISTORIES.PENDING,
      eventOf('HoldCaptured', { sequence: 2 }),
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    [
      'PENDING',
      HOLD_HISTORIES.PENDING,
      expiryReleased,
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    // Answers that contradict the step decided.
    [
      'CAPTURING',
      HOLD_HISTORIES.CAPTURING,
      otherCapture,
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    [
      'CAPTURING',
      HOLD_HISTORIES.CAPTURING,
      voidReleased,
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    [
      'VOIDING',
      HOLD_HISTORIES.VOIDING,
      expiryReleased,
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    ['VOIDING', HOLD_HISTORIES.VOIDING, holdCaptured, { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' }],
    [
      'EXPIRING',
      HOLD_HISTORIES.EXPIRING,
      voidReleased,
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    [
      'CAPTURED (projected)',
      HOLD_HISTORIES.CAPTURED,
      eventOf('HoldReleased', { id: eventId(0xe2), sequence: 5 }),
      { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' },
    ],
    [
      'HELD',
      HOLD_HISTORIES.HELD,
      eventOf('HoldPlaced', { id: eventId(0xe3) }),
      { outcome: 'illegal', reason: 'SEQUENCE_CONFLICT' },
    ],
    [
      'HELD',
      HOLD_HISTORIES.HELD,
      eventOf('HoldCaptured', { facts: { ...HOLD_FACTS, holdExpiresAt: AFTER_EXPIRY.toISOString() } }),
      { outcome: 'illegal', reason: 'FACTS_MISMATCH' },
    ],
  ];

  const rows = table.map(
    ([name, history, answer, expected]) => [name, describeAnswer(answer), expected, history, answer] as const,
  );
  it.each(rows)('given %s, when %s arrives: %j, no event', (_name, _answer, expected, history, answer) => {
    expect(decide(recordHoldAnswer(answer), given(...history))).toStrictEqual(expected);
  });
});
