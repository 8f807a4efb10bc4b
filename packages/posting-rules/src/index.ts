// The ledger's posting rules as pure functions: `decidePosting` (and `decideRefundPosting` for a
// refund) turns a transfer request and the two account snapshots into a rejection with a documented
// reason or a balanced pair of journal entries; `decideHold`, `decideCapture` and `decideRelease` do
// the same for the three steps of a two-phase transfer. Every debit is checked against the available
// balance (posted less held). No framework, database or broker code; time comes in as an argument.
export { decideCapture, decideHold, decideRelease } from './decide-hold';
export { decidePosting, decideRefundPosting } from './decide-posting';
export {
  type CaptureDecision,
  type HoldDecision,
  type HoldRefusal,
  type HoldSnapshot,
  type HoldStatus,
  type ReleaseDecision,
} from './hold-decision';
export { assertInvariant, isInt64, MAX_INT64, MIN_INT64 } from './invariants';
export {
  availableMinor,
  signedAmountMinor,
  type AccountSnapshot,
  type EntryDirection,
  type JournalEntryDraft,
  type PostingDecision,
  type RefundablePayment,
} from './posting-decision';
