// transfer-service's decisions: the events it emits for a command, given the transfer's current state.
// The caller loads the state (under the transfer's row lock), calls `decide`, and on `accepted` stores
// the events (state via `evolve`, outbox rows) in one transaction. Nothing here reads a clock or makes
// an id: both come in the command.
import {
  assertNever,
  createEvent,
  type HoldCaptured,
  type HoldPlaced,
  type HoldReleased,
  type OncePayEvent,
  type Release,
  type TransferFacts,
  type TransferPosted,
  type TransferRejected,
} from '@oncepay/contracts';
import { applyEvent, type IllegalEventReason } from './apply-event';
import {
  factsOf,
  isTerminal,
  kindOf,
  sameFacts,
  type KnownTransferState,
  type TransferState,
} from './transfer-state';

/** The producer name on every event decided here. */
export const TRANSFER_SERVICE_PRODUCER = 'transfer-service';

/**
 * A client asked for a transfer (after the HTTP idempotency check): a payment, a hold (`holdExpiresAt`)
 * or a refund (`refundOf`, checked against its payment by `decideRefund` first). Emits
 * TransferRequested, sequence 1.
 */
export interface RequestTransfer {
  type: 'RequestTransfer';
  transfer: TransferFacts;
  /** Id of the event to emit. */
  eventId: string;
  /** The HTTP request's correlation id; every later event of the transfer carries it. */
  correlationId: string;
  now: Date;
}

/** What the ledger answers: a payment's or refund's outcome, or a step of a hold carried out. */
export type LedgerAnswer = TransferPosted | TransferRejected | HoldPlaced | HoldCaptured | HoldReleased;

/** The ledger answered. Emits the final word the answer calls for, caused by the ledger's event. */
export interface RecordLedgerResult {
  type: 'RecordLedgerResult';
  event: LedgerAnswer;
  /** Id of the event to emit. */
  eventId: string;
  now: Date;
}

/** A step of a hold: the client's capture or void, or the system's expiry. */
interface HoldStep {
  /** Id of the event to emit. */
  eventId: string;
  /** The step's own HTTP request (or, for an expiry, the transfer's first request). */
  correlationId: string;
  /** Compared with the hold's expiry: past it, the client can neither capture nor void. */
  now: Date;
}

/** The client captures `captureAmountMinor` (at most the amount held; the rest is released). */
export interface CaptureHold extends HoldStep {
  type: 'CaptureHold';
  captureAmountMinor: bigint;
}

export interface VoidHold extends HoldStep {
  type: 'VoidHold';
}

/** The system releases a hold whose expiry has passed. */
export interface ExpireHold extends HoldStep {
  type: 'ExpireHold';
}

export type TransferCommand = RequestTransfer | RecordLedgerResult | CaptureHold | VoidHold | ExpireHold;

/**
 * Why a hold's step is refused, for the client (each maps to a problem+json code at the API):
 * - `UNKNOWN_TRANSFER`: no such transfer.
 * - `NOT_A_HOLD`: a one-step transfer: nothing to capture or void.
 * - `HOLD_NOT_PLACED`: the ledger has not placed the hold yet (PENDING); ask again shortly.
 * - `HOLD_FAILED`: the ledger refused the hold; nothing is held.
 * - `HOLD_CAPTURED`, `HOLD_VOIDED`, `HOLD_EXPIRED`: the hold already ended (or is ending) that way;
 *   `HOLD_EXPIRED` also once its expiry has passed, even before the system released it.
 * - `CAPTURE_EXCEEDS_HOLD`: a capture of more than the amount held.
 * - `HOLD_NOT_DUE`: an expiry asked for before the hold's expiry (the expiry job raced a clock).
 */
export type StepRefusal =
  | 'UNKNOWN_TRANSFER'
  | 'NOT_A_HOLD'
  | 'HOLD_NOT_PLACED'
  | 'HOLD_FAILED'
  | 'HOLD_CAPTURED'
  | 'HOLD_VOIDED'
  | 'HOLD_EXPIRED'
  | 'CAPTURE_EXCEEDS_HOLD'
  | 'HOLD_NOT_DUE';

/**
 * Why an event-driven command is refused: an `IllegalEventReason` from the state machine, or
 * - `UNKNOWN_TRANSFER`: a ledger result for a transfer this service never requested.
 * For RequestTransfer on an existing transfer, `FACTS_MISMATCH` means the id is taken by other facts.
 */
export type RefusalReason = IllegalEventReason | 'UNKNOWN_TRANSFER';

/**
 * The outcome of a command:
 * - `accepted`: emit `events` (in order; evolve the state with them, after the ledger's answer if any).
 *   A placed hold is accepted with no event: HELD is not a final word.
 * - `duplicate`: the command is already reflected in the state (the same transfer requested again, or
 *   a ledger result redelivered, or a ledger result for a transfer already final with that outcome).
 *   Emit nothing; acknowledge.
 * - `stale`: a ledger result older than what the state already reflects. Emit nothing; acknowledge.
 * - `illegal`: an event-driven command refused with `reason`; emit nothing, count it.
 * - `refused`: a hold's step refused with `reason`; emit nothing, tell the client.
 */
export type Decision =
  | { outcome: 'accepted'; events: OncePayEvent[] }
  | { outcome: 'duplicate' }
  | { outcome: 'stale' }
  | { outcome: 'illegal'; reason: RefusalReason }
  | { outcome: 'refused'; reason: StepRefusal };

export function decide(command: TransferCommand, state: TransferState): Decision {
  switch (command.type) {
    case 'RequestTransfer':
      return decideRequestTransfer(command, state);
    case 'RecordLedgerResult':
      return decideRecordLedgerResult(command, state);
    case 'CaptureHold':
    case 'VoidHold':
    case 'ExpireHold':
      return decideHoldStep(command, state);
    default:
      return assertNever(command);
  }
}

function decideRequestTransfer(command: RequestTransfer, state: TransferState): Decision {
  if (state.status !== 'NONE') {
    // Requesting an existing transfer again is harmless when it is the same transfer; the HTTP
    // idempotency keys answer the client, this only guarantees no second TransferRequested.
    return sameFacts(state.transfer, command.transfer)
      ? { outcome: 'duplicate' }
      : { outcome: 'illegal', reason: 'FACTS_MISMATCH' };
  }
  const requested = createEvent('TransferRequested', factsOf(command.transfer), {
    id: command.eventId,
    occurredAt: command.now,
    producer: TRANSFER_SERVICE_PRODUCER,
    sequence: 1,
    correlationId: command.correlationId,
    causationId: null,
  });
  return { outcome: 'accepted', events: [requested] };
}

function decideRecordLedgerResult(command: RecordLedgerResult, state: TransferState): Decision {
  // transfer-service stores the transfer before publishing TransferRequested, so it knows every
  // transfer the ledger can answer about; starting a projection from the answer is for other consumers.
  if (state.status === 'NONE') return { outcome: 'illegal', reason: 'UNKNOWN_TRANSFER' };
  const result = applyEvent(state, command.event);
  switch (result.outcome) {
    case 'duplicate':
    case 'stale':
    case 'illegal':
      return result;
    case 'applied':
      // Applicable to a terminal state means it agrees with the outcome already recorded (a
      // contradicting one is illegal): the final event was decided before, do not emit a second one.
      if (isTerminal(state)) return { outcome: 'duplicate' };
      if (carriesOutNoDecidedStep(command.event, state)) {
        return { outcome: 'illegal', reason: 'CONTRADICTS_OUTCOME' };
      }
      return { outcome: 'accepted', events: finalEventsFor(command, state.transfer) };
    default:
      return assertNever(result);
  }
}

/**
 * A capture or release of a hold still PENDING or HELD here: transfer-service stores CAPTURING, VOIDING
 * or EXPIRING before it asks the ledger, so such an answer is the ledger ending a hold on its own. A
 * projection may skip those links (NEXT_STATUSES allows it); the single decision point must not.
 */
function carriesOutNoDecidedStep(answer: LedgerAnswer, state: KnownTransferState): boolean {
  const endsHold = answer.type === 'HoldCaptured' || answer.type === 'HoldReleased';
  return endsHold && (state.status === 'PENDING' || state.status === 'HELD');
}

/** The final word next in the ledger event's causal chain: none for a placed hold, which is not one. */
function finalEventsFor(command: RecordLedgerResult, transfer: TransferFacts): OncePayEvent[] {
  const answer = command.event;
  const facts = factsOf(transfer);
  const meta = {
    id: command.eventId,
    occurredAt: command.now,
    producer: TRANSFER_SERVICE_PRODUCER,
    sequence: answer.sequence + 1,
    correlationId: answer.correlationId,
    causationId: answer.id,
  };
  switch (answer.type) {
    case 'TransferPosted':
      return [createEvent('TransferCompleted', facts, meta)];
    case 'TransferRejected':
      return [createEvent('TransferFailed', { ...facts, reason: answer.payload.reason }, meta)];
    case 'HoldPlaced':
      return [];
    case 'HoldCaptured':
      return [
        createEvent(
          'TransferCaptured',
          { ...holdFactsOf(facts), captureAmountMinor: answer.payload.captureAmountMinor },
          meta,
        ),
      ];
    case 'HoldReleased':
      return [
        answer.payload.release === 'VOID'
          ? createEvent('TransferVoided', holdFactsOf(facts), meta)
          : createEvent('TransferExpired', holdFactsOf(facts), meta),
      ];
    default:
      return assertNever(answer);
  }
}

/**
 * A capture, void or expiry of a hold. transfer-service decides it under the transfer's row lock, so
 * of two racing steps the second sees the first one's status and is refused: exactly one ending wins.
 */
function decideHoldStep(command: CaptureHold | VoidHold | ExpireHold, state: TransferState): Decision {
  if (command.type === 'CaptureHold' && command.captureAmountMinor <= 0n) {
    // The API accepts positive amounts only, and the codec would refuse the event: a caller's bug.
    throw new RangeError(`capture of ${command.captureAmountMinor}: must be at least 1 minor unit`);
  }
  const refusal = holdStepRefusal(command, state);
  if (refusal !== null) return { outcome: 'refused', reason: refusal };
  const held = state as KnownTransferState;
  const facts = holdFactsOf(held.transfer);
  const meta = {
    id: command.eventId,
    occurredAt: command.now,
    producer: TRANSFER_SERVICE_PRODUCER,
    sequence: held.version + 1,
    correlationId: command.correlationId,
    causationId: held.lastEventId,
  };
  const release: Release = command.type === 'VoidHold' ? 'VOID' : 'EXPIRY';
  const event =
    command.type === 'CaptureHold'
      ? createEvent('CaptureRequested', { ...facts, captureAmountMinor: command.captureAmountMinor }, meta)
      : createEvent('ReleaseRequested', { ...facts, release }, meta);
  return { outcome: 'accepted', events: [event] };
}

function holdStepRefusal(
  command: CaptureHold | VoidHold | ExpireHold,
  state: TransferState,
): StepRefusal | null {
  if (state.status === 'NONE') return 'UNKNOWN_TRANSFER';
  const expiresAt = state.transfer.holdExpiresAt;
  if (expiresAt === undefined) return 'NOT_A_HOLD';
  switch (state.status) {
    case 'PENDING':
      // Past its expiry a hold is over for the client, placed or not: the answer must not depend on
      // when the ledger's HoldPlaced arrives. The expiry job waits for it (a hold not placed holds nothing).
      if (command.type !== 'ExpireHold' && command.now.getTime() >= Date.parse(expiresAt))
        return 'HOLD_EXPIRED';
      return 'HOLD_NOT_PLACED';
    case 'FAILED':
      return 'HOLD_FAILED';
    case 'CAPTURING':
    case 'CAPTURED':
      return 'HOLD_CAPTURED';
    case 'VOIDING':
    case 'VOIDED':
      return 'HOLD_VOIDED';
    case 'EXPIRING':
    case 'EXPIRED':
      return 'HOLD_EXPIRED';
    case 'COMPLETED':
      // A hold never completes as a whole (the codec refuses it); a state saying so is a bug.
      throw new Error(`transfer ${state.transfer.transferId}: a hold cannot be COMPLETED`);
    case 'HELD': {
      const expired = command.now.getTime() >= Date.parse(expiresAt);
      if (command.type === 'ExpireHold') return expired ? null : 'HOLD_NOT_DUE';
      if (expired) return 'HOLD_EXPIRED';
      if (command.type === 'CaptureHold' && command.captureAmountMinor > state.transfer.amountMinor) {
        return 'CAPTURE_EXCEEDS_HOLD';
      }
      return null;
    }
    default:
      return assertNever(state);
  }
}

/** A hold's facts, typed as such: `holdExpiresAt` is present (the callers checked the kind). */
function holdFactsOf(facts: TransferFacts): TransferFacts & { holdExpiresAt: string } {
  if (kindOf(facts) !== 'HOLD' || facts.holdExpiresAt === undefined) {
    throw new Error(`transfer ${facts.transferId} is not a hold`);
  }
  return { ...facts, holdExpiresAt: facts.holdExpiresAt };
}
