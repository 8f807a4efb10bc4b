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
//
// Three kinds of transfer share one machine, told apart by their facts (see @oncepay/contracts):
// - a payment (one step):  PENDING -> COMPLETED | FAILED
// - a refund (one step, `refundOf` set): the same statuses as a payment
// - a hold (two phases, `holdExpiresAt` set), after TigerBeetle's pending transfers:
//     PENDING -> HELD | FAILED
//     HELD -> CAPTURING -> CAPTURED        (the client captures, in full or in part)
//     HELD -> VOIDING   -> VOIDED          (the client voids)
//     HELD -> EXPIRING  -> EXPIRED         (the system, once holdExpiresAt has passed)
//   CAPTURING, VOIDING and EXPIRING are decided by transfer-service under the transfer's row lock, so
//   exactly one of them ever happens; the ledger then carries it out.
import type { OncePayEvent, RejectionReason, TransferFacts } from '@oncepay/contracts';

/** What every known state has: the transfer, and the last applied event's sequence (`version`) and id. */
interface Known {
  transfer: TransferFacts;
  /**
   * `version` is the sequence of the last applied event and `lastEventId` its id: together they tell a
   * redelivery of that event (a duplicate) from a different event claiming the same sequence (a conflict).
   */
  version: number;
  lastEventId: string;
}

/**
 * - `NONE`: nothing known about the transfer yet.
 * - `PENDING`: requested, the ledger has not answered.
 * - `COMPLETED`, `FAILED`: terminal for payments and refunds (FAILED for a hold the ledger refused).
 * - `HELD`: the ledger reserved the amount; the client may capture or void it until it expires.
 * - `CAPTURING`, `VOIDING`, `EXPIRING`: transfer-service decided the hold's end, the ledger has not
 *   carried it out yet. `CAPTURED`, `VOIDED`, `EXPIRED`: the hold's terminal statuses.
 * Terminal statuses never change again (FAILED keeps its reason, CAPTURED its amount).
 */
export type TransferState =
  | { status: 'NONE' }
  | ({ status: 'PENDING' | 'COMPLETED' | 'HELD' | 'VOIDING' | 'VOIDED' | 'EXPIRING' | 'EXPIRED' } & Known)
  | ({ status: 'FAILED'; reason: RejectionReason } & Known)
  | ({ status: 'CAPTURING' | 'CAPTURED'; captureAmountMinor: bigint } & Known);

export type TransferStatus = TransferState['status'];
/** A transfer something is known about: every status but NONE. */
export type KnownTransferState = Exclude<TransferState, { status: 'NONE' }>;
export type KnownStatus = KnownTransferState['status'];

export const INITIAL_TRANSFER_STATE: TransferState = { status: 'NONE' };

export const TERMINAL_STATUSES: readonly KnownStatus[] = [
  'COMPLETED',
  'FAILED',
  'CAPTURED',
  'VOIDED',
  'EXPIRED',
];

/** The statuses a transfer never leaves. */
export function isTerminal(state: TransferState): boolean {
  return state.status !== 'NONE' && TERMINAL_STATUSES.includes(state.status);
}

/** Which kind of transfer the facts describe. */
export type TransferKind = 'PAYMENT' | 'HOLD' | 'REFUND';

export function kindOf(facts: TransferFacts): TransferKind {
  if (facts.holdExpiresAt !== undefined) return 'HOLD';
  if (facts.refundOf !== undefined) return 'REFUND';
  return 'PAYMENT';
}

/**
 * The transfer facts of an event's payload, without the event-specific fields (`postedAt`, `reason`,
 * ...), so that states built from different events of one transfer compare equal. The optional facts
 * are copied only when present, so a payment's facts have no `holdExpiresAt` key at all.
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
    ...(payload.holdExpiresAt === undefined ? {} : { holdExpiresAt: payload.holdExpiresAt }),
    ...(payload.refundOf === undefined ? {} : { refundOf: payload.refundOf }),
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
    a.reference === b.reference &&
    sameInstant(a.holdExpiresAt, b.holdExpiresAt) &&
    a.refundOf?.toLowerCase() === b.refundOf?.toLowerCase()
  );
}

/** Two spellings of one instant (`Z` or `+00:00`, with or without milliseconds) are the same expiry. */
function sameInstant(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Date.parse(a) === Date.parse(b);
}
