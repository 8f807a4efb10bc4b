// Applying one incoming event to a transfer's state, with an explicit outcome for every event that is
// not applied: the architecture's two defences against redelivery and reordering, the per-transfer
// sequence guard and the state machine, in one place.
import { assertNever, type OncePayEvent } from '@oncepay/contracts';
import { classifySequence } from './sequence-guard';
import {
  factsOf,
  kindOf,
  sameFacts,
  type KnownStatus,
  type KnownTransferState,
  type TransferState,
} from './transfer-state';

/**
 * Why an event is not a legal transition. Illegal events are ignored and counted, never applied.
 * - `WRONG_TRANSFER`: the event's aggregateId is another transfer.
 * - `FACTS_MISMATCH`: same transfer id, different facts (client, accounts, amount, currency, reference,
 *   hold expiry, refunded payment).
 * - `SEQUENCE_CONFLICT`: a different event (another id) with the sequence already applied.
 * - `ALREADY_REQUESTED`: a newer TransferRequested for a transfer that already exists.
 * - `CONTRADICTS_OUTCOME`: would move the transfer somewhere its status cannot go (a terminal status
 *   to another, a capture after a void, FAILED to another reason, a capture of another amount).
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
 * Where each status may go next, by a newer event of the same transfer. Links of the chain may be
 * skipped (a consumer sees only some of the events), so PENDING reaches every status of its kind
 * directly; what the table forbids is going back, or across from one ending to another. A terminal
 * status only "moves" to itself: a newer event confirming it (the final word after the ledger's answer).
 */
export const NEXT_STATUSES: Record<KnownStatus, readonly KnownStatus[]> = {
  PENDING: [
    'COMPLETED',
    'FAILED',
    'HELD',
    'CAPTURING',
    'CAPTURED',
    'VOIDING',
    'VOIDED',
    'EXPIRING',
    'EXPIRED',
  ],
  HELD: ['CAPTURING', 'CAPTURED', 'VOIDING', 'VOIDED', 'EXPIRING', 'EXPIRED'],
  CAPTURING: ['CAPTURED'],
  VOIDING: ['VOIDED'],
  EXPIRING: ['EXPIRED'],
  COMPLETED: ['COMPLETED'],
  FAILED: ['FAILED'],
  CAPTURED: ['CAPTURED'],
  VOIDED: ['VOIDED'],
  EXPIRED: ['EXPIRED'],
};

/** The statuses each kind of transfer can be in. */
const STATUSES_OF_KIND = {
  PAYMENT: ['PENDING', 'COMPLETED', 'FAILED'],
  REFUND: ['PENDING', 'COMPLETED', 'FAILED'],
  HOLD: ['PENDING', 'FAILED', 'HELD', 'CAPTURING', 'CAPTURED', 'VOIDING', 'VOIDED', 'EXPIRING', 'EXPIRED'],
} as const satisfies Record<string, readonly KnownStatus[]>;

/**
 * Classifies `event` against `state` and returns the next state when it is applicable. Checks run in
 * this order: the transfer id, the event id (a redelivery), the sequence guard, the transfer facts, the
 * transition table. From NONE every event of the transfer applies: each carries the transfer's facts,
 * so a projection can start from whichever arrives first.
 */
export function applyEvent(state: TransferState, event: OncePayEvent): ApplyResult {
  assertEnvelopeMatchesPayload(event);
  const target = targetOf(event);
  if (state.status === 'NONE') return applied(target);
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
      if (!sameFacts(state.transfer, target.transfer)) return illegal('FACTS_MISMATCH');
      if (event.type === 'TransferRequested') return illegal('ALREADY_REQUESTED');
      if (!NEXT_STATUSES[state.status].includes(target.status) || !agrees(state, target)) {
        return illegal('CONTRADICTS_OUTCOME');
      }
      return applied({ ...target, transfer: state.transfer });
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

/** The state `event` says the transfer is in, built from the event alone. */
export function targetOf(event: OncePayEvent): KnownTransferState {
  const known = { transfer: factsOf(event.payload), version: event.sequence, lastEventId: event.id };
  const target = ((): KnownTransferState => {
    switch (event.type) {
      case 'TransferRequested':
        return { status: 'PENDING', ...known };
      case 'TransferPosted':
      case 'TransferCompleted':
        return { status: 'COMPLETED', ...known };
      case 'TransferRejected':
      case 'TransferFailed':
        return { status: 'FAILED', ...known, reason: event.payload.reason };
      case 'HoldPlaced':
        return { status: 'HELD', ...known };
      case 'CaptureRequested':
        return { status: 'CAPTURING', ...known, captureAmountMinor: event.payload.captureAmountMinor };
      case 'HoldCaptured':
      case 'TransferCaptured':
        return { status: 'CAPTURED', ...known, captureAmountMinor: event.payload.captureAmountMinor };
      case 'ReleaseRequested':
        return { status: event.payload.release === 'VOID' ? 'VOIDING' : 'EXPIRING', ...known };
      case 'HoldReleased':
        return { status: event.payload.release === 'VOID' ? 'VOIDED' : 'EXPIRED', ...known };
      case 'TransferVoided':
        return { status: 'VOIDED', ...known };
      case 'TransferExpired':
        return { status: 'EXPIRED', ...known };
      default:
        return assertNever(event);
    }
  })();
  assertStatusFitsKind(event, target);
  return target;
}

/** The details two states of one ending must share: FAILED's reason, a capture's amount. */
function agrees(state: KnownTransferState, target: KnownTransferState): boolean {
  if (state.status === 'FAILED' && target.status === 'FAILED') return state.reason === target.reason;
  if ('captureAmountMinor' in state && 'captureAmountMinor' in target) {
    return state.captureAmountMinor === target.captureAmountMinor;
  }
  return true;
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

/** The codec refuses a hold's event without `holdExpiresAt` and a posted hold; one here is a bug. */
function assertStatusFitsKind(event: OncePayEvent, target: KnownTransferState): void {
  const kind = kindOf(target.transfer);
  if (!(STATUSES_OF_KIND[kind] as readonly KnownStatus[]).includes(target.status)) {
    throw new Error(`event ${event.id}: ${event.type} cannot happen to a ${kind.toLowerCase()}`);
  }
}
