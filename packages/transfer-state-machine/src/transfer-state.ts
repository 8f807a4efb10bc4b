// The state of one transfer as the state machine sees it, and the helpers every transition shares.
//
// Design (decider style, after oskardudycz/EventSourcing.NodeJS):
// - `TransferState` is a discriminated union on `status`; every switch over it or over an event type
//   ends in `assertNever`, so adding a status or an event type fails to compile until it is handled.
// - `applyEvent(state, event)` (apply-event.ts) classifies an incoming event and, when it is
//   applicable, returns the next state. Expected outcomes (duplicate, stale, illegal) are returned
//   values with a documented code, never exceptions; exceptions are kept for bugs.
// - `evolve(state, event)` is the total fold step built on it: an event that is not applied leaves the
//   state unchanged, so `events.reduce(evolve, INITIAL_TRANSFER_STATE)` is safe over any delivery order.
// - `decide(command, state)` (decide.ts) turns a command into the events transfer-service emits.
// - Pure: no I/O, no clock, no id generation. Time and ids come in with the command.
import type { OncePayEvent, RejectionReason, TransferFacts } from '@oncepay/contracts';

/**
 * - `NONE`: nothing known about the transfer yet.
 * - `PENDING`: requested, the ledger has not answered.
 * - `COMPLETED`, `FAILED`: terminal; the status never changes again (FAILED keeps its reason too).
 *
 * `version` is the sequence of the last applied event and `lastEventId` its id: together they tell a
 * redelivery of that event (a duplicate) from a different event claiming the same sequence (a conflict).
 */
export type TransferState =
  | { status: 'NONE' }
  | { status: 'PENDING'; transfer: TransferFacts; version: number; lastEventId: string }
  | { status: 'COMPLETED'; transfer: TransferFacts; version: number; lastEventId: string }
  | {
      status: 'FAILED';
      transfer: TransferFacts;
      reason: RejectionReason;
      version: number;
      lastEventId: string;
    };

export type TransferStatus = TransferState['status'];
/** A transfer something is known about: every status but NONE. */
export type KnownTransferState = Exclude<TransferState, { status: 'NONE' }>;

export const INITIAL_TRANSFER_STATE: TransferState = { status: 'NONE' };

/** The statuses a transfer never leaves. */
export function isTerminal(state: TransferState): boolean {
  return state.status === 'COMPLETED' || state.status === 'FAILED';
}

/**
 * The transfer facts of an event's payload, without the event-specific fields (`postedAt`, `reason`),
 * so that states built from different events of one transfer compare equal.
 */
export function factsOf(payload: OncePayEvent['payload'] | TransferFacts): TransferFacts {
  return {
    transferId: payload.transferId,
    clientId: payload.clientId,
    fromAccountId: payload.fromAccountId,
    toAccountId: payload.toAccountId,
    amountMinor: payload.amountMinor,
    currency: payload.currency,
    reference: payload.reference,
  };
}

export function sameFacts(a: TransferFacts, b: TransferFacts): boolean {
  return (
    a.transferId === b.transferId &&
    a.clientId === b.clientId &&
    a.fromAccountId === b.fromAccountId &&
    a.toAccountId === b.toAccountId &&
    a.amountMinor === b.amountMinor &&
    a.currency === b.currency &&
    a.reference === b.reference
  );
}
