// Proves the trail's shared rules: entries come out in time order with ties kept as given (a cause is
// listed before what it caused in the same transaction), and only an operator may read a trail.
import { ProblemException } from './problem-details';
import { assertTrailReader, inTimeOrder, type TrailEntry, type TrailKind } from './trail';

const entry = (at: string, kind: TrailKind): TrailEntry => ({ at, kind, summary: kind });

describe('inTimeOrder', () => {
  it('sorts by instant and keeps the given order of entries at the same instant', () => {
    const sorted = inTimeOrder([
      entry('2026-11-30T10:00:02.000Z', 'status'),
      entry('2026-11-30T10:00:01.000Z', 'consumed'),
      entry('2026-11-30T10:00:01.000Z', 'outbox-row'),
      entry('2026-11-30T10:00:00.000Z', 'accepted'),
    ]);
    expect(sorted.map((e) => e.kind)).toEqual(['accepted', 'consumed', 'outbox-row', 'status']);
  });

  it('leaves an empty trail empty', () => {
    expect(inTimeOrder([])).toEqual([]);
  });
});

describe('assertTrailReader', () => {
  it('lets an operator through and refuses a client with 403 OPERATOR_ROLE_REQUIRED', () => {
    expect(() => assertTrailReader('operator')).not.toThrow();
    let refused: unknown;
    try {
      assertTrailReader('client');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ProblemException);
    expect(refused).toMatchObject({ problemStatus: 403, code: 'OPERATOR_ROLE_REQUIRED' });
  });
});
