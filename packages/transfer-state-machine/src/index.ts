// The transfer state machine as pure functions: `applyEvent`/`evolve` fold events into a transfer's
// state with an explicit outcome for every event not applied, `decide` turns transfer-service's
// commands into events, `decideRefund` bounds a payment's refunds. No framework, database or broker
// code (see transfer-state.ts for the design).
export {
  applyEvent,
  evolve,
  NEXT_STATUSES,
  targetOf,
  type ApplyResult,
  type IllegalEventReason,
} from './apply-event';
export {
  decide,
  TRANSFER_SERVICE_PRODUCER,
  type CaptureHold,
  type Decision,
  type ExpireHold,
  type LedgerAnswer,
  type RecordLedgerResult,
  type RefusalReason,
  type RequestTransfer,
  type StepRefusal,
  type TransferCommand,
  type VoidHold,
} from './decide';
export { decideRefund, paidMinor, type RefundDecision, type RefundRefusal } from './refunds';
export { classifySequence, NO_SEQUENCE_APPLIED, type SequenceVerdict } from './sequence-guard';
export {
  factsOf,
  INITIAL_TRANSFER_STATE,
  isTerminal,
  kindOf,
  TERMINAL_STATUSES,
  type KnownStatus,
  type KnownTransferState,
  type TransferKind,
  type TransferState,
  type TransferStatus,
} from './transfer-state';
