// The per-transfer sequence guard: given the sequence of the last event a consumer applied for a
// transfer and the sequence of an incoming event of the same transfer, says whether to apply it.
//
// Why "greater" and not "exactly one more": each event's sequence is its cause's sequence + 1, but the
// events of one transfer come from several producers (transfer-service, ledger-service) on several
// topics, so a consumer may see only some links of the chain (notification-service never sees
// TransferPosted) or see them out of order. Any newer sequence is therefore applicable; what the guard
// refuses is going backwards (stale) or re-applying the last one (duplicate).
//
// Pure function, no I/O: the caller stores the last applied sequence alongside its state.

/**
 * What to do with an incoming event, judged by its sequence alone:
 * - `applicable`: newer than the last applied one (gaps allowed); apply it.
 * - `duplicate`: the same sequence as the last applied event; it has already been applied.
 * - `stale`: older than the last applied event; a newer one has already been applied, ignore it.
 */
export type SequenceVerdict = 'applicable' | 'duplicate' | 'stale';

/** The last applied sequence of a transfer nothing has been applied for yet. Real sequences start at 1. */
export const NO_SEQUENCE_APPLIED = 0;

/**
 * Classifies `incomingSequence` against `lastAppliedSequence` (`NO_SEQUENCE_APPLIED` when nothing has
 * been applied yet). Sequences reach this point validated by the contracts' codec; an out-of-range one
 * is a bug, so it throws instead of returning a verdict.
 */
export function classifySequence(lastAppliedSequence: number, incomingSequence: number): SequenceVerdict {
  assertSequence('lastAppliedSequence', lastAppliedSequence, NO_SEQUENCE_APPLIED);
  assertSequence('incomingSequence', incomingSequence, 1);
  if (incomingSequence > lastAppliedSequence) return 'applicable';
  if (incomingSequence === lastAppliedSequence) return 'duplicate';
  return 'stale';
}

function assertSequence(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a safe integer >= ${min}, got ${value}`);
  }
}
