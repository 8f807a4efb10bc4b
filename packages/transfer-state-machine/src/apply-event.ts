// Applying one incoming event to a transfer's state, with an explicit outcome for every event that is
// not applied: the architecture's two defences against redelivery and reordering, the per-transfer
// sequence guard and the state machine, in one place.
import { assertNever, type OncePayEvent, type RejectionReason } from '@oncepay/contracts';
import { classifySequence } from './sequence-guard';
import { factsOf, sameFacts, type KnownTransferState, type TransferState } from './transfer-state';

/**
 * Why an event is not a legal transition. Illegal events are ignored and counted, never applied.
 * - `WRONG_TRANSFER`: the event's aggregateId is another transfer.
 * - `FACTS_MISMATCH`: same transfer id, different facts (client, accounts, amount, currency, reference).
 * - `SEQUENCE_CONFLICT`: a different event (another id) with the sequence already applied.
 * - `ALREADY_REQUESTED`: a newer TransferRequested for a transfer that already exists.
 * - `CONTRADICTS_OUTCOME`: would move a terminal transfer to the other outcome, or FAILED to another reason.
 */
export type IllegalEventReason =
  'WRONG_TRANSFER' | 'FACTS_MISMATCH' | 'SEQUENCE_CONFLICT' | 'ALREADY_REQUESTED' | 'CONTRADICTS_OUTCOME';

/**
 * The outcome of offering an event to the state machine:
 * - `applied`: the event moved the state (or, in a terminal state, confirmed it at a newer version).
 * - `duplicate`: the last applied event again (same id); nothing to do.
 * - `stale`: older than the last applied event; a newer one already decided the state. Ignore.
 * - `illegal`: not a legal transition (see `IllegalEventReason`). Ignore and count.
 */
export type ApplyResult =
  | { outcome: 'applied'; state: KnownTransferState }
  | { outcome: 'duplicate' }
  | { outcome: 'stale' }
  | { outcome: 'illegal'; reason: IllegalEventReason };

/**
 * Classifies `event` against `state` and returns the next state when it is applicable. Checks run in
 * this order: the transfer id, the event id (a redelivery), the sequence guard, the transfer facts, the
 * transition table. From NONE every event of the transfer applies: each carries the transfer's facts,
 * so a projection can start from whichever arrives first.
 */
export function applyEvent(state: TransferState, event: OncePayEvent): ApplyResult {
  assertEnvelopeMatchesPayload(event);
  if (state.status === 'NONE') return applied(startFrom(event));
  if (event.aggregateId !== state.transfer.transferId) return illegal('WRONG_TRANSFER');
  if (event.id === state.lastEventId) return { outcome: 'duplicate' };
  const verdict = classifySequence(state.version, event.sequence);
  switch (verdict) {
    case 'stale':
      return { outcome: 'stale' };
    case 'duplicate':
      // Same sequence, another id: sequences grow along one causal chain, so two distinct events can
      // only share one when a producer misbehaved. Not a redelivery; flag it.
      return illegal('SEQUENCE_CONFLICT');
    case 'applicable':
      if (!sameFacts(state.transfer, factsOf(event.payload))) return illegal('FACTS_MISMATCH');
      return transition(state, event);
    default:
      return assertNever(verdict);
  }
}

/**
 * The decider's `evolve`: the state after `event`, or the same state when the event is not applied
 * (duplicate, stale or illegal, as the architecture asks: ignored and counted by the caller, who uses
 * `applyEvent` when it needs the reason). Being total, it folds any delivery order safely.
 */
export function evolve(state: TransferState, event: OncePayEvent): TransferState {
  const result = applyEvent(state, event);
  return result.outcome === 'applied' ? result.state : state;
}

function startFrom(event: OncePayEvent): KnownTransferState {
  const known = { transfer: factsOf(event.payload), version: event.sequence, lastEventId: event.id };
  switch (event.type) {
    case 'TransferRequested':
      return { status: 'PENDING', ...known };
    case 'TransferPosted':
    case 'TransferCompleted':
      return { status: 'COMPLETED', ...known };
    case 'TransferRejected':
    case 'TransferFailed':
      return { status: 'FAILED', ...known, reason: event.payload.reason };
    default:
      return assertNever(event);
  }
}

/** A newer event of this transfer, with the same facts: the transition table proper. */
function transition(state: KnownTransferState, event: OncePayEvent): ApplyResult {
  switch (event.type) {
    case 'TransferRequested':
      return illegal('ALREADY_REQUESTED');
    case 'TransferPosted':
    case 'TransferCompleted':
      return toCompleted(state, event);
    case 'TransferRejected':
    case 'TransferFailed':
      return toFailed(state, event, event.payload.reason);
    default:
      return assertNever(event);
  }
}

function toCompleted(state: KnownTransferState, event: OncePayEvent): ApplyResult {
  switch (state.status) {
    case 'PENDING':
    case 'COMPLETED':
      return applied({ ...bump(state, event), status: 'COMPLETED' });
    case 'FAILED':
      return illegal('CONTRADICTS_OUTCOME');
    default:
      return assertNever(state);
  }
}

function toFailed(state: KnownTransferState, event: OncePayEvent, reason: RejectionReason): ApplyResult {
  switch (state.status) {
    case 'PENDING':
      return applied({ ...bump(state, event), status: 'FAILED', reason });
    case 'FAILED':
      if (state.reason !== reason) return illegal('CONTRADICTS_OUTCOME');
      return applied({ ...bump(state, event), status: 'FAILED', reason });
    case 'COMPLETED':
      return illegal('CONTRADICTS_OUTCOME');
    default:
      return assertNever(state);
  }
}

/** The fields every known state carries, moved to `event`'s version. */
function bump(
  state: KnownTransferState,
  event: OncePayEvent,
): Pick<KnownTransferState, 'transfer' | 'version' | 'lastEventId'> {
  return { transfer: state.transfer, version: event.sequence, lastEventId: event.id };
}

function applied(state: KnownTransferState): ApplyResult {
  return { outcome: 'applied', state };
}

function illegal(reason: IllegalEventReason): ApplyResult {
  return { outcome: 'illegal', reason };
}

/** The codec and `createEvent` guarantee this; an event breaking it is a bug, not an outcome. */
function assertEnvelopeMatchesPayload(event: OncePayEvent): void {
  if (event.aggregateId !== event.payload.transferId) {
    throw new Error(`event ${event.id}: aggregateId ${event.aggregateId} differs from payload.transferId`);
  }
}
