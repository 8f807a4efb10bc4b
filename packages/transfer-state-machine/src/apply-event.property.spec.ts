// Proves, over random transfers and deliveries:
// - folding any permutation of a clean history (a payment's, a refund's, or a hold's for each of its
//   endings) with duplicates and stale re-deliveries injected ends in the same state as the history;
// - no sequence of events ever moves a terminal transfer to another status, reason, capture or facts;
// - racing steps of a hold (captures, voids, expiries at any time, repeated) decided with `decide` and
//   `evolve` as transfer-service does under its row lock, with the ledger's answers delivered in any
//   order and more than once, end the hold exactly one way, within its amount and its expiry;
// - any sequence of refunds, some failing later, never refunds more than the payment moved.
import {
  assertNever,
  createEvent,
  EVENT_TYPES,
  MAX_AMOUNT_MINOR,
  REJECTION_REASONS,
  RELEASES,
  type EventType,
  type OncePayEvent,
  type RejectionReason,
  type Release,
  type TransferFacts,
} from '@oncepay/contracts';
import fc from 'fast-check';
import { applyEvent, evolve } from './apply-event';
import { decide, type CaptureHold, type ExpireHold, type LedgerAnswer, type VoidHold } from './decide';
import { decideRefund } from './refunds';
import { HOLD_ONLY_EVENT_TYPES } from './transfer-events.fixture';
import { INITIAL_TRANSFER_STATE, isTerminal, kindOf, type TransferState } from './transfer-state';

const NUM_RUNS = 1000;
const NOW = new Date('2025-01-02T03:04:05.000Z');

const oneStepFactsArb: fc.Arbitrary<TransferFacts> = fc
  .record({
    transferId: fc.uuid(),
    clientId: fc.string({ minLength: 1, maxLength: 12 }),
    fromAccountId: fc.uuid(),
    toAccountId: fc.uuid(),
    amountMinor: fc.bigInt({ min: 1n, max: MAX_AMOUNT_MINOR }),
    currency: fc.constantFrom('EUR', 'USD', 'JPY'),
    reference: fc.option(fc.string({ maxLength: 140 }), { nil: null }),
    refundOf: fc.option(fc.uuid(), { nil: undefined }),
  })
  // A payment has no `refundOf` key at all, as on the wire.
  .map(({ refundOf, ...facts }) => (refundOf === undefined ? facts : { ...facts, refundOf }));

/** A hold's facts: its expiry is any instant, spelt as transfer-service writes it. */
const holdFactsArb: fc.Arbitrary<TransferFacts & { holdExpiresAt: string }> = fc
  .tuple(
    oneStepFactsArb,
    fc.date({
      min: new Date('2025-01-01T00:00:00.000Z'),
      max: new Date('2030-01-01T00:00:00.000Z'),
      noInvalidDate: true,
    }),
  )
  .map(([{ refundOf: _refundOf, ...facts }, expiresAt]) => ({
    ...facts,
    holdExpiresAt: expiresAt.toISOString(),
  }));

interface Details {
  reason: RejectionReason;
  release: Release;
  captureAmountMinor: bigint;
}

function eventFor(
  type: EventType,
  facts: TransferFacts,
  details: Details,
  id: string,
  sequence: number,
): OncePayEvent {
  const meta = { id, occurredAt: NOW, producer: 'test', sequence, correlationId: 'c', causationId: null };
  const at = NOW.toISOString();
  const { reason, release, captureAmountMinor } = details;
  // Hold-only events are built from a hold's facts only (the property generators see to it).
  const hold = { ...facts, holdExpiresAt: facts.holdExpiresAt ?? '' };
  switch (type) {
    case 'TransferRequested':
    case 'TransferCompleted':
      return createEvent(type, facts, meta);
    case 'TransferPosted':
      return createEvent(type, { ...facts, postedAt: at }, meta);
    case 'TransferRejected':
    case 'TransferFailed':
      return createEvent(type, { ...facts, reason }, meta);
    case 'HoldPlaced':
      return createEvent(type, { ...hold, heldAt: at }, meta);
    case 'CaptureRequested':
    case 'TransferCaptured':
      return createEvent(type, { ...hold, captureAmountMinor }, meta);
    case 'HoldCaptured':
      return createEvent(type, { ...hold, captureAmountMinor, postedAt: at }, meta);
    case 'ReleaseRequested':
      return createEvent(type, { ...hold, release }, meta);
    case 'HoldReleased':
      return createEvent(type, { ...hold, release, releasedAt: at }, meta);
    case 'TransferVoided':
    case 'TransferExpired':
      return createEvent(type, hold, meta);
    default:
      return assertNever(type);
  }
}

/** The event types a transfer of these facts' kind can receive (any other would throw). */
function typesFor(facts: TransferFacts): EventType[] {
  return kindOf(facts) === 'HOLD'
    ? EVENT_TYPES.filter((type) => type !== 'TransferPosted' && type !== 'TransferCompleted')
    : EVENT_TYPES.filter((type) => !HOLD_ONLY_EVENT_TYPES.includes(type));
}

interface Scenario {
  /** A clean history, each event at its sequence (1, 2, ...). */
  history: OncePayEvent[];
  /** The status the clean history ends in. */
  ending: TransferState['status'];
  /** The history in any order, with duplicates and stale re-deliveries mixed in. */
  delivery: OncePayEvent[];
}

/** The event types of each clean history, in order, and the status it ends in. */
const ENDINGS = {
  completed: { types: ['TransferRequested', 'TransferPosted', 'TransferCompleted'], ending: 'COMPLETED' },
  failed: { types: ['TransferRequested', 'TransferRejected', 'TransferFailed'], ending: 'FAILED' },
  'hold failed': { types: ['TransferRequested', 'TransferRejected', 'TransferFailed'], ending: 'FAILED' },
  'hold captured': {
    types: ['TransferRequested', 'HoldPlaced', 'CaptureRequested', 'HoldCaptured', 'TransferCaptured'],
    ending: 'CAPTURED',
  },
  'hold voided': {
    types: ['TransferRequested', 'HoldPlaced', 'ReleaseRequested', 'HoldReleased', 'TransferVoided'],
    ending: 'VOIDED',
  },
  'hold expired': {
    types: ['TransferRequested', 'HoldPlaced', 'ReleaseRequested', 'HoldReleased', 'TransferExpired'],
    ending: 'EXPIRED',
  },
} satisfies Record<string, { types: EventType[]; ending: TransferState['status'] }>;
type Ending = keyof typeof ENDINGS;

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    endingName: fc.constantFrom(...(Object.keys(ENDINGS) as Ending[])),
    oneStep: oneStepFactsArb,
    hold: holdFactsArb,
    reason: fc.constantFrom(...REJECTION_REASONS),
    captureAmountMinor: fc.bigInt({ min: 1n, max: MAX_AMOUNT_MINOR }),
    ids: fc.uniqueArray(fc.uuid(), { minLength: 9, maxLength: 9 }),
  })
  .chain(({ endingName, oneStep, hold, reason, captureAmountMinor, ids }) => {
    const { types, ending } = ENDINGS[endingName];
    const facts = endingName.startsWith('hold') ? hold : oneStep;
    const details: Details = {
      reason,
      release: endingName === 'hold expired' ? 'EXPIRY' : 'VOID',
      // A capture is at most the amount held.
      captureAmountMinor: 1n + (captureAmountMinor % facts.amountMinor),
    };
    const history = types.map((type, index) => eventFor(type, facts, details, ids[index] ?? '', index + 1));
    // A producer that crashed after publishing and before recording it re-emits the same fact under a
    // new id; only the final event is never re-emitted here, as a second one would be a new decision.
    const reEmitted = types
      .slice(0, -1)
      .map((type, index) => eventFor(type, facts, details, ids[index + types.length] ?? '', index + 1));
    return fc
      .array(fc.constantFrom(...history, ...reEmitted), { maxLength: 20 })
      .chain((extra) => {
        const all = [...history, ...extra];
        return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
      })
      .map((delivery) => ({ history, ending, delivery }));
  });

function fold(events: OncePayEvent[]): TransferState {
  return events.reduce(evolve, INITIAL_TRANSFER_STATE);
}

describe('applyEvent under redelivery and reordering (property-based)', () => {
  it('any permutation of a clean history, with duplicates and stale re-deliveries, folds to the same state', () => {
    fc.assert(
      fc.property(scenarioArb, ({ history, ending, delivery }) => {
        const clean = fold(history);
        expect(clean.status).toBe(ending);
        expect(fold(delivery)).toStrictEqual(clean);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  const anyEventOfOneTransferArb = (facts: TransferFacts, otherTransfer: TransferFacts, ids: string[]) =>
    fc
      .record({
        type: fc.constantFrom(...typesFor(facts)),
        sequence: fc.integer({ min: 1, max: 7 }),
        id: fc.constantFrom(...ids),
        reason: fc.constantFrom(...REJECTION_REASONS),
        release: fc.constantFrom(...RELEASES),
        captureAmountMinor: fc.constantFrom(1n, facts.amountMinor),
        facts: fc.oneof(
          { weight: 8, arbitrary: fc.constant(facts) },
          { weight: 1, arbitrary: fc.constant({ ...otherTransfer, transferId: otherTransfer.transferId }) },
          { weight: 1, arbitrary: fc.constant({ ...facts, amountMinor: facts.amountMinor + 1n }) },
        ),
      })
      .map(({ type, facts: eventFacts, id, sequence, ...details }) =>
        eventFor(type, eventFacts, details, id, sequence),
      );

  /** Events of one transfer, all of one kind (another transfer's are of the same kind too). */
  const anyEventsArb = fc
    .tuple(
      fc.oneof(oneStepFactsArb, holdFactsArb),
      fc.uuid(),
      fc.uniqueArray(fc.uuid(), { minLength: 6, maxLength: 6 }),
    )
    .chain(([facts, otherId, ids]) =>
      fc.array(anyEventOfOneTransferArb(facts, { ...facts, transferId: otherId }, ids), { maxLength: 30 }),
    );

  it('no sequence of events moves a terminal transfer to another status, reason, capture or facts, or back in version', () => {
    fc.assert(
      fc.property(anyEventsArb, (events) => {
        let state = INITIAL_TRANSFER_STATE;
        for (const event of events) {
          const result = applyEvent(state, event);
          const next = result.outcome === 'applied' ? result.state : state;
          if (state.status !== 'NONE') {
            expect(next.status === 'NONE' ? -1 : next.version).toBeGreaterThanOrEqual(state.version);
            expect(next.status === 'NONE' ? null : next.transfer).toStrictEqual(state.transfer);
          }
          if (isTerminal(state)) expect(next.status).toBe(state.status);
          if (state.status === 'FAILED') expect(next.status === 'FAILED' && next.reason).toBe(state.reason);
          if (state.status === 'CAPTURING' || state.status === 'CAPTURED') {
            expect('captureAmountMinor' in next && next.captureAmountMinor).toBe(state.captureAmountMinor);
          }
          expect(evolve(state, event)).toStrictEqual(next);
          state = next;
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// Racing steps of one hold. transfer-service decides each step under the transfer's row lock, so the
// steps are applied one after the other here, each seeing the state the previous ones left.
type Step =
  | { kind: 'capture'; amountMinor: bigint; atMs: number }
  | { kind: 'void'; atMs: number }
  | { kind: 'expire'; atMs: number }
  /** Deliver the ledger's `pick`-th answer so far (modulo their number): any order, any repeat. */
  | { kind: 'deliver'; pick: number };

const DAY_MS = 86_400_000;

/** Instants around the expiry: long before, just before, at, just after, long after, or any other. */
const atMsArb = (expiresAtMs: number) =>
  fc.oneof(
    fc.constantFrom(-DAY_MS, -1, 0, 1, DAY_MS).map((offset) => expiresAtMs + offset),
    fc.integer({ min: -30 * DAY_MS, max: 30 * DAY_MS }).map((offset) => expiresAtMs + offset),
  );

const raceArb = holdFactsArb.chain((hold) => {
  const expiresAtMs = Date.parse(hold.holdExpiresAt);
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('capture' as const),
      // From 1 to twice the hold: some captures ask for more than is held.
      amountMinor: fc.oneof(
        fc.constantFrom(1n, hold.amountMinor, hold.amountMinor + 1n),
        fc.bigInt({ min: 1n, max: hold.amountMinor * 2n }),
      ),
      atMs: atMsArb(expiresAtMs),
    }),
    fc.record({ kind: fc.constant('void' as const), atMs: atMsArb(expiresAtMs) }),
    fc.record({ kind: fc.constant('expire' as const), atMs: atMsArb(expiresAtMs) }),
    fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  );
  return fc.record({
    hold: fc.constant(hold),
    placed: fc.boolean(),
    steps: fc.array(stepArb, { maxLength: 25 }).chain((steps) =>
      // Repeats: some steps asked twice (a client retrying with a new key, the job running again).
      fc
        .array(fc.constantFrom(...(steps.length > 0 ? steps : [{ kind: 'deliver', pick: 0 } as Step])), {
          maxLength: 5,
        })
        .chain((repeats) =>
          fc.shuffledSubarray([...steps, ...repeats], { minLength: steps.length + repeats.length }),
        ),
    ),
  });
});

const LEDGER_ANSWER_TYPES: readonly EventType[] = [
  'TransferPosted',
  'TransferRejected',
  'HoldPlaced',
  'HoldCaptured',
  'HoldReleased',
];

function isLedgerAnswer(event: OncePayEvent): event is LedgerAnswer {
  return LEDGER_ANSWER_TYPES.includes(event.type);
}

/** transfer-service and a faithful ledger, playing one hold's race. */
class HoldRace {
  state: TransferState = INITIAL_TRANSFER_STATE;
  /** Every event transfer-service emitted, in order. */
  readonly emitted: OncePayEvent[] = [];
  /** Every answer the ledger published so far; each may be delivered any number of times. */
  readonly answers: LedgerAnswer[] = [];
  /** The steps transfer-service accepted. */
  readonly accepted: (CaptureHold | VoidHold | ExpireHold)[] = [];
  private nextId = 1;

  constructor(
    private readonly hold: TransferFacts & { holdExpiresAt: string },
    private readonly placed: boolean,
  ) {
    this.transferServiceAccepts(
      decide(
        { type: 'RequestTransfer', transfer: hold, eventId: this.id(), correlationId: 'req', now: NOW },
        this.state,
      ),
    );
  }

  step(command: CaptureHold | VoidHold | ExpireHold): void {
    const decision = decide(command, this.state);
    if (decision.outcome === 'accepted') this.accepted.push(command);
    else expect(decision.outcome).toBe('refused');
    this.transferServiceAccepts(decision);
  }

  deliver(answer: LedgerAnswer): void {
    const decision = decide(
      { type: 'RecordLedgerResult', event: answer, eventId: this.id(), now: NOW },
      this.state,
    );
    // A faithful ledger's answers are never illegal, however often or late they arrive.
    expect(decision.outcome).not.toBe('illegal');
    if (decision.outcome === 'accepted') this.state = this.applied(this.state, answer);
    this.transferServiceAccepts(decision);
  }

  id(): string {
    return `00000000-0000-4000-8000-${(this.nextId++).toString(16).padStart(12, '0')}`;
  }

  /** Stores the decided events (evolve, as in the transfer's transaction) and lets the ledger act. */
  private transferServiceAccepts(decision: ReturnType<typeof decide>): void {
    if (decision.outcome !== 'accepted') return;
    for (const event of decision.events) {
      this.state = this.applied(this.state, event);
      this.emitted.push(event);
      const answer = this.ledgerAnswer(event);
      if (answer !== null) this.answers.push(answer);
    }
  }

  /** What the ledger publishes for a request: the same facts, the next sequence, caused by it. */
  private ledgerAnswer(request: OncePayEvent): LedgerAnswer | null {
    const details: Details = { reason: 'INSUFFICIENT_FUNDS', release: 'VOID', captureAmountMinor: 1n };
    const answer = (type: LedgerAnswer['type'], more: Partial<Details> = {}): LedgerAnswer => {
      const event = eventFor(type, this.hold, { ...details, ...more }, this.id(), request.sequence + 1);
      if (event.type !== type || !isLedgerAnswer(event)) throw new Error(`built ${event.type}, not ${type}`);
      return event;
    };
    switch (request.type) {
      case 'TransferRequested':
        return answer(this.placed ? 'HoldPlaced' : 'TransferRejected');
      case 'CaptureRequested':
        return answer('HoldCaptured', { captureAmountMinor: request.payload.captureAmountMinor });
      case 'ReleaseRequested':
        return answer('HoldReleased', { release: request.payload.release });
      default:
        return null;
    }
  }

  private applied(state: TransferState, event: OncePayEvent): TransferState {
    const result = applyEvent(state, event);
    if (result.outcome !== 'applied') throw new Error(`${event.type} was ${result.outcome}, not applied`);
    return result.state;
  }
}

describe('racing steps of a hold (property-based)', () => {
  it('end the hold exactly one way, within its amount and its expiry, whatever the order of answers', () => {
    fc.assert(
      fc.property(raceArb, ({ hold, placed, steps }) => {
        const race = new HoldRace(hold, placed);
        const expiresAtMs = Date.parse(hold.holdExpiresAt);
        for (const step of steps) {
          if (step.kind === 'deliver') {
            const answer = race.answers[step.pick % race.answers.length];
            if (answer !== undefined) race.deliver(answer);
            continue;
          }
          const meta = { eventId: race.id(), correlationId: 'step', now: new Date(step.atMs) };
          race.step(
            step.kind === 'capture'
              ? { type: 'CaptureHold', captureAmountMinor: step.amountMinor, ...meta }
              : { type: step.kind === 'void' ? 'VoidHold' : 'ExpireHold', ...meta },
          );
        }
        // Then everything the ledger said arrives (once more), and the expiry job runs at last.
        for (const answer of [...race.answers]) race.deliver(answer);
        race.step({
          type: 'ExpireHold',
          eventId: race.id(),
          correlationId: 'job',
          now: new Date(expiresAtMs),
        });
        for (const answer of [...race.answers]) race.deliver(answer);

        const endings: OncePayEvent[] = race.emitted.filter(
          (event) => event.type === 'CaptureRequested' || event.type === 'ReleaseRequested',
        );
        expect(race.accepted).toHaveLength(endings.length);
        expect(endings).toHaveLength(placed ? 1 : 0);
        for (const step of race.accepted) {
          const expired = step.now.getTime() >= expiresAtMs;
          // Past the expiry only the expiry is accepted, and never before it.
          expect(step.type === 'ExpireHold').toBe(expired);
          if (step.type === 'CaptureHold') {
            expect(step.captureAmountMinor).toBeGreaterThanOrEqual(1n);
            expect(step.captureAmountMinor).toBeLessThanOrEqual(hold.amountMinor);
          }
        }

        const finalWords = race.emitted.filter((event) => event.sequence >= 3 && !endings.includes(event));
        expect(finalWords).toHaveLength(1);
        const [step] = race.accepted;
        const known = { transfer: hold, version: 5, lastEventId: finalWords[0]?.id };
        if (step === undefined) {
          expect(race.state).toMatchObject({ status: 'FAILED', version: 3, lastEventId: finalWords[0]?.id });
        } else if (step.type === 'CaptureHold') {
          expect(race.state).toStrictEqual({
            status: 'CAPTURED',
            ...known,
            captureAmountMinor: step.captureAmountMinor,
          });
        } else {
          expect(race.state).toStrictEqual({
            status: step.type === 'VoidHold' ? 'VOIDED' : 'EXPIRED',
            ...known,
          });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('refunds of one payment (property-based)', () => {
  const refundsArb = fc
    .record({ paidMinor: fc.bigInt({ min: 1n, max: 1_000_000n }), captured: fc.boolean() })
    .chain(({ paidMinor, captured }) =>
      fc.record({
        paidMinor: fc.constant(paidMinor),
        captured: fc.constant(captured),
        steps: fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('refund' as const),
              amountMinor: fc.oneof(
                fc.constantFrom(1n, paidMinor, paidMinor + 1n),
                fc.bigInt({ min: 1n, max: paidMinor + 10n }),
              ),
            }),
            fc.record({ kind: fc.constant('fail' as const), pick: fc.nat() }),
          ),
          { maxLength: 30 },
        ),
      }),
    );

  it('accepted refunds that have not failed never add up to more than the payment moved', () => {
    fc.assert(
      fc.property(refundsArb, ({ paidMinor, captured, steps }) => {
        // A completed payment of paidMinor, or a hold of twice that with paidMinor captured.
        const transfer: TransferFacts = {
          transferId: '0b9d7c3e-6f0a-4d8e-9a51-2c1f3e4d5a60',
          clientId: 'demo-a',
          fromAccountId: '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10',
          toAccountId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c60',
          amountMinor: captured ? paidMinor * 2n : paidMinor,
          currency: 'EUR',
          reference: null,
          ...(captured ? { holdExpiresAt: '2025-01-09T03:04:05.000Z' } : {}),
        };
        const known = { transfer, version: 5, lastEventId: '00000000-0000-4000-8000-000000000005' };
        const payment: TransferState = captured
          ? { status: 'CAPTURED', ...known, captureAmountMinor: paidMinor }
          : { status: 'COMPLETED', ...known };
        /** The refunds accepted and not (yet) failed. */
        const refunding: bigint[] = [];
        const sum = () => refunding.reduce((total, amount) => total + amount, 0n);
        steps.forEach((step, index) => {
          if (step.kind === 'fail') {
            if (refunding.length > 0) refunding.splice(step.pick % refunding.length, 1);
            return;
          }
          const left = paidMinor - sum();
          const decision = decideRefund(payment, sum(), {
            refundId: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
            clientId: 'demo-b',
            amountMinor: step.amountMinor,
            reference: null,
          });
          if (step.amountMinor <= left) {
            expect(decision).toMatchObject({
              outcome: 'accepted',
              refund: { amountMinor: step.amountMinor },
            });
            refunding.push(step.amountMinor);
          } else {
            expect(decision).toStrictEqual({
              outcome: 'refused',
              reason: 'REFUND_EXCEEDS_PAYMENT',
              refundableMinor: left,
            });
          }
          expect(sum()).toBeLessThanOrEqual(paidMinor);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
