// The types of a two-phase transfer (a hold) as the ledger decides it: the hold's record, and the
// answers of decideHold, decideCapture and decideRelease. Plain data, like posting-decision.ts.
import type { RejectionReason, Release } from '@oncepay/contracts';
import type { JournalEntryDraft } from './posting-decision';

export type HoldStatus = 'ACTIVE' | 'CAPTURED' | 'RELEASED';

/**
 * A hold as the ledger stores it (read under its row lock). While ACTIVE its amount counts in the
 * payer's held amount; it ends exactly once: CAPTURED (capturedMinor posted, the rest released) or
 * RELEASED (nothing posted; `release` says why).
 */
export interface HoldSnapshot {
  /** The hold's transfer id: a capture posts its entries under it. */
  transferId: string;
  /** The payer, whose available balance carries the hold. */
  accountId: string;
  /** The payee, credited by a capture. */
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  status: HoldStatus;
  expiresAt: Date;
  placedAt: Date;
  /** CAPTURED only: 1..amountMinor. */
  capturedMinor: bigint | null;
  /** RELEASED only. */
  release: Release | null;
  /** When it was captured or released; null while ACTIVE. */
  settledAt: Date | null;
}

/**
 * The ledger's answer to a hold request (a TransferRequested with holdExpiresAt):
 * - `hold`: store `hold` (ACTIVE) and set the payer's held amount to `heldAfter`; no journal entry.
 * - `reject`: as for a payment, with the same reasons in the same order (see PostingDecision).
 */
export type HoldDecision =
  { outcome: 'hold'; hold: HoldSnapshot; heldAfter: bigint } | { outcome: 'reject'; reason: RejectionReason };

/**
 * Why a capture or a release cannot be carried out. None is expected: transfer-service decides a
 * hold's one ending under its transfer's row lock, so each is a bug upstream, and the ledger refuses
 * it (its consumer dead-letters the request for an operator) rather than move money it was not sure of.
 * - `HOLD_NOT_FOUND`: no hold with this transfer id (never placed, or placed as a rejection).
 * - `HOLD_FACTS_DIFFER`: the request names other accounts, amount, currency or client than the hold.
 * - `HOLD_CAPTURED`: the hold was captured (for a capture: of another amount).
 * - `HOLD_RELEASED`: the hold was released (for a release: for the other reason).
 * - `CAPTURE_EXCEEDS_HOLD`: the capture is larger than the hold.
 */
export type HoldRefusal =
  'HOLD_NOT_FOUND' | 'HOLD_FACTS_DIFFER' | 'HOLD_CAPTURED' | 'HOLD_RELEASED' | 'CAPTURE_EXCEEDS_HOLD';

/**
 * - `capture`: append `entries` (DEBIT payer, CREDIT payee, of the captured amount, under the hold's
 *   transfer id), set the balances to `balancesAfter` and the payer's held amount to `heldAfter` (the
 *   WHOLE hold released), and store `hold` (CAPTURED).
 * - `already_captured`: an earlier request captured this amount; nothing to do, no second answer.
 * - `refuse`: nothing may be written; see HoldRefusal.
 */
export type CaptureDecision =
  | {
      outcome: 'capture';
      entries: [JournalEntryDraft, JournalEntryDraft];
      balancesAfter: { from: bigint; to: bigint };
      heldAfter: bigint;
      hold: HoldSnapshot;
    }
  | { outcome: 'already_captured' }
  | { outcome: 'refuse'; reason: HoldRefusal };

/**
 * - `release`: set the payer's held amount to `heldAfter` and store `hold` (RELEASED); no entry.
 * - `already_released`: an earlier request released it for the same reason; nothing to do.
 * - `refuse`: nothing may be written; see HoldRefusal.
 */
export type ReleaseDecision =
  | { outcome: 'release'; heldAfter: bigint; hold: HoldSnapshot }
  | { outcome: 'already_released' }
  | { outcome: 'refuse'; reason: HoldRefusal };
