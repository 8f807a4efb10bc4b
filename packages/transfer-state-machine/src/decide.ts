// transfer-service's decisions: the events it emits for a command, given the transfer's current state.
// The caller loads the state, calls `decide`, and on `accepted` stores the events (state via `evolve`,
// outbox rows) in one transaction. Nothing here reads a clock or makes an id: both come in the command.
import {
  assertNever,
  createEvent,
  type OncePayEvent,
  type TransferFacts,
  type TransferPosted,
  type TransferRejected,
} from '@oncepay/contracts';
import { applyEvent, type IllegalEventReason } from './apply-event';
import { factsOf, sameFacts, type TransferState } from './transfer-state';

/** The producer name on every event decided here. */
export const TRANSFER_SERVICE_PRODUCER = 'transfer-service';

/** A client asked for a transfer (after the HTTP idempotency check). Emits TransferRequested, sequence 1. */
export interface RequestTransfer {
  type: 'RequestTransfer';
  transfer: TransferFacts;
  /** Id of the event to emit. */
  eventId: string;
  /** The HTTP request's correlation id; every later event of the transfer carries it. */
  correlationId: string;
  now: Date;
}

/** The ledger answered. Emits the final event, caused by the ledger's one. */
export interface RecordLedgerResult {
  type: 'RecordLedgerResult';
  event: TransferPosted | TransferRejected;
  /** Id of the event to emit. */
  eventId: string;
  now: Date;
}

export type TransferCommand = RequestTransfer | RecordLedgerResult;

/**
 * Why a command is refused: an `IllegalEventReason` from the state machine, or
 * - `UNKNOWN_TRANSFER`: a ledger result for a transfer this service never requested.
 * For RequestTransfer on an existing transfer, `FACTS_MISMATCH` means the id is taken by other facts.
 */
export type RefusalReason = IllegalEventReason | 'UNKNOWN_TRANSFER';

/**
 * The outcome of a command:
 * - `accepted`: emit `events` (in order; evolve the state with them).
 * - `duplicate`: the command is already reflected in the state (the same transfer requested again, or
 *   a ledger result redelivered, or a ledger result for a transfer already final with that outcome).
 *   Emit nothing; acknowledge.
 * - `stale`: a ledger result older than what the state already reflects. Emit nothing; acknowledge.
 * - `illegal`: refused with `reason`; emit nothing, count it.
 */
export type Decision =
  | { outcome: 'accepted'; events: OncePayEvent[] }
  | { outcome: 'duplicate' }
  | { outcome: 'stale' }
  | { outcome: 'illegal'; reason: RefusalReason };

export function decide(command: TransferCommand, state: TransferState): Decision {
  switch (command.type) {
    case 'RequestTransfer':
      return decideRequestTransfer(command, state);
    case 'RecordLedgerResult':
      return decideRecordLedgerResult(command, state);
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
      if (state.status !== 'PENDING') return { outcome: 'duplicate' };
      return { outcome: 'accepted', events: [finalEventFor(command, state.transfer)] };
    default:
      return assertNever(result);
  }
}

/** TransferCompleted or TransferFailed, next in the ledger event's causal chain. */
function finalEventFor(command: RecordLedgerResult, transfer: TransferFacts): OncePayEvent {
  const ledgerEvent = command.event;
  const meta = {
    id: command.eventId,
    occurredAt: command.now,
    producer: TRANSFER_SERVICE_PRODUCER,
    sequence: ledgerEvent.sequence + 1,
    correlationId: ledgerEvent.correlationId,
    causationId: ledgerEvent.id,
  };
  switch (ledgerEvent.type) {
    case 'TransferPosted':
      return createEvent('TransferCompleted', factsOf(transfer), meta);
    case 'TransferRejected':
      return createEvent(
        'TransferFailed',
        { ...factsOf(transfer), reason: ledgerEvent.payload.reason },
        meta,
      );
    default:
      return assertNever(ledgerEvent);
  }
}
