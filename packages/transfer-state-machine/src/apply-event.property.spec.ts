// Proves, over random transfers and deliveries, that folding any permutation of a clean history with
// duplicates and stale re-deliveries injected ends in the same state as the clean history, and that no
// sequence of events ever moves a terminal transfer to another status, reason or set of facts.
import {
  assertNever,
  createEvent,
  EVENT_TYPES,
  MAX_AMOUNT_MINOR,
  REJECTION_REASONS,
  type EventType,
  type OncePayEvent,
  type RejectionReason,
  type TransferFacts,
} from '@oncepay/contracts';
import fc from 'fast-check';
import { applyEvent, evolve } from './apply-event';
import { INITIAL_TRANSFER_STATE, isTerminal, type TransferState } from './transfer-state';

const NUM_RUNS = 1000;
const NOW = new Date('2025-01-02T03:04:05.000Z');

const factsArb: fc.Arbitrary<TransferFacts> = fc.record({
  transferId: fc.uuid(),
  clientId: fc.string({ minLength: 1, maxLength: 12 }),
  fromAccountId: fc.uuid(),
  toAccountId: fc.uuid(),
  amountMinor: fc.bigInt({ min: 1n, max: MAX_AMOUNT_MINOR }),
  currency: fc.constantFrom('EUR', 'USD', 'JPY'),
  reference: fc.option(fc.string({ maxLength: 140 }), { nil: null }),
});

function eventFor(
  type: EventType,
  facts: TransferFacts,
  reason: RejectionReason,
  id: string,
  sequence: number,
): OncePayEvent {
  const meta = { id, occurredAt: NOW, producer: 'test', sequence, correlationId: 'c', causationId: null };
  switch (type) {
    case 'TransferRequested':
    case 'TransferCompleted':
      return createEvent(type, facts, meta);
    case 'TransferPosted':
      return createEvent(type, { ...facts, postedAt: NOW.toISOString() }, meta);
    case 'TransferRejected':
    case 'TransferFailed':
      return createEvent(type, { ...facts, reason }, meta);
    default:
      return assertNever(type);
  }
}

interface Scenario {
  /** [Requested(1), Posted(2), Completed(3)] or [Requested(1), Rejected(2), Failed(3)]. */
  history: OncePayEvent[];
  /** The history in any order, with duplicates and stale re-deliveries mixed in. */
  delivery: OncePayEvent[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    facts: factsArb,
    completes: fc.boolean(),
    reason: fc.constantFrom(...REJECTION_REASONS),
    ids: fc.uniqueArray(fc.uuid(), { minLength: 5, maxLength: 5 }),
  })
  .chain(({ facts, completes, reason, ids }) => {
    const [requestedId = '', ledgerId = '', finalId = '', reRequestedId = '', reLedgerId = ''] = ids;
    const ledgerType = completes ? 'TransferPosted' : 'TransferRejected';
    const finalType = completes ? 'TransferCompleted' : 'TransferFailed';
    const history = [
      eventFor('TransferRequested', facts, reason, requestedId, 1),
      eventFor(ledgerType, facts, reason, ledgerId, 2),
      eventFor(finalType, facts, reason, finalId, 3),
    ];
    // A producer that crashed after publishing and before recording it re-emits the same fact under a
    // new id; only the final event is never re-emitted here, as a second one would be a new decision.
    const reEmitted = [
      eventFor('TransferRequested', facts, reason, reRequestedId, 1),
      eventFor(ledgerType, facts, reason, reLedgerId, 2),
    ];
    return fc
      .array(fc.constantFrom(...history, ...reEmitted), { maxLength: 20 })
      .chain((extra) => {
        const all = [...history, ...extra];
        return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
      })
      .map((delivery) => ({ history, delivery }));
  });

function fold(events: OncePayEvent[]): TransferState {
  return events.reduce(evolve, INITIAL_TRANSFER_STATE);
}

describe('applyEvent under redelivery and reordering (property-based)', () => {
  it('any permutation of a clean history, with duplicates and stale re-deliveries, folds to the same state', () => {
    fc.assert(
      fc.property(scenarioArb, ({ history, delivery }) => {
        const clean = fold(history);
        expect(clean.status).toBe(history[2]?.type === 'TransferCompleted' ? 'COMPLETED' : 'FAILED');
        expect(fold(delivery)).toStrictEqual(clean);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  const anyEventOfOneTransferArb = (facts: TransferFacts, otherTransfer: TransferFacts, ids: string[]) =>
    fc
      .record({
        type: fc.constantFrom(...EVENT_TYPES),
        sequence: fc.integer({ min: 1, max: 6 }),
        id: fc.constantFrom(...ids),
        reason: fc.constantFrom(...REJECTION_REASONS),
        facts: fc.oneof(
          { weight: 8, arbitrary: fc.constant(facts) },
          { weight: 1, arbitrary: fc.constant(otherTransfer) },
          { weight: 1, arbitrary: fc.constant({ ...facts, amountMinor: facts.amountMinor + 1n }) },
        ),
      })
      .map(({ type, facts: eventFacts, reason, id, sequence }) =>
        eventFor(type, eventFacts, reason, id, sequence),
      );

  const anyEventsArb = fc
    .tuple(factsArb, factsArb, fc.uniqueArray(fc.uuid(), { minLength: 6, maxLength: 6 }))
    .chain(([facts, other, ids]) => fc.array(anyEventOfOneTransferArb(facts, other, ids), { maxLength: 30 }));

  it('no sequence of events moves a terminal transfer to another status, reason or facts, or back in version', () => {
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
          expect(evolve(state, event)).toStrictEqual(next);
          state = next;
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
