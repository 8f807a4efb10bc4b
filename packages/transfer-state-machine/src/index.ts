// The transfer state machine as pure functions: `applyEvent`/`evolve` fold events into a transfer's
// state with an explicit outcome for every event not applied, `decide` turns transfer-service's
// commands into events. No framework, database or broker code (see transfer-state.ts for the design).
export { applyEvent, evolve, type ApplyResult, type IllegalEventReason } from './apply-event';
export {
  decide,
  TRANSFER_SERVICE_PRODUCER,
  type Decision,
  type RecordLedgerResult,
  type RefusalReason,
  type RequestTransfer,
  type TransferCommand,
} from './decide';
export { classifySequence, NO_SEQUENCE_APPLIED, type SequenceVerdict } from './sequence-guard';
export {
  INITIAL_TRANSFER_STATE,
  isTerminal,
  type KnownTransferState,
  type TransferState,
  type TransferStatus,
} from './transfer-state';
