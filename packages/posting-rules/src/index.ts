// The ledger's posting rules as pure functions: `decidePosting` turns a transfer request and the two
// account snapshots into a rejection with a documented reason or a balanced pair of journal entries.
// No framework, database or broker code; time comes in as an argument.
export { decidePosting } from './decide-posting';
export { assertInvariant, isInt64, MAX_INT64, MIN_INT64 } from './invariants';
export {
  signedAmountMinor,
  type AccountSnapshot,
  type EntryDirection,
  type JournalEntryDraft,
  type PostingDecision,
} from './posting-decision';
