// Proves the sequence guard applies any newer sequence (gaps included), calls an equal one a duplicate and
// an older one stale, and rejects sequences the contracts never let through.
import fc from 'fast-check';
import { classifySequence, NO_SEQUENCE_APPLIED, type SequenceVerdict } from './sequence-guard';

describe('classifySequence', () => {
  it.each<[number, number, SequenceVerdict]>([
    [NO_SEQUENCE_APPLIED, 1, 'applicable'],
    [NO_SEQUENCE_APPLIED, 3, 'applicable'],
    [1, 2, 'applicable'],
    [1, 3, 'applicable'],
    [2, 2, 'duplicate'],
    [3, 3, 'duplicate'],
    [3, 2, 'stale'],
    [3, 1, 'stale'],
  ])('last applied %i, incoming %i: %s', (lastApplied, incoming, verdict) => {
    expect(classifySequence(lastApplied, incoming)).toBe(verdict);
  });

  it('agrees with the numeric order of the two sequences for any valid pair', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: NO_SEQUENCE_APPLIED, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (lastApplied, incoming) => {
          const expected: SequenceVerdict =
            incoming > lastApplied ? 'applicable' : incoming === lastApplied ? 'duplicate' : 'stale';
          expect(classifySequence(lastApplied, incoming)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each<[string, number, number]>([
    ['a negative last applied sequence', -1, 1],
    ['a fractional last applied sequence', 1.5, 2],
    ['an incoming sequence of zero', 0, 0],
    ['a negative incoming sequence', 1, -1],
    ['a fractional incoming sequence', 1, 2.5],
    ['a NaN incoming sequence', 1, Number.NaN],
    ['an unsafe incoming sequence', 1, Number.MAX_SAFE_INTEGER + 1],
  ])(
    'throws on %s (a bug: the codec only lets positive integers through)',
    (_name, lastApplied, incoming) => {
      expect(() => classifySequence(lastApplied, incoming)).toThrow(RangeError);
    },
  );
});
