// The ledger's own trail entries, from its rows: pure mapping, no I/O.
import type { TrailEntry } from '@oncepay/http-edge';

export interface DecisionTrailRow {
  outcome: string;
  reason: string | null;
  decided_at: Date;
  refund_of: string | null;
}

export function decisionEntry(row: DecisionTrailRow): TrailEntry {
  const refund = row.refund_of === null ? '' : ` as a refund of ${row.refund_of}`;
  return {
    at: row.decided_at.toISOString(),
    kind: 'decision',
    summary: `Decided the transfer once${refund}: ${row.outcome}${row.reason === null ? '' : ` (${row.reason})`}.`,
    status: row.outcome,
  };
}

export interface PostingTrailRow {
  account_id: string;
  direction: string;
  amount_minor: string;
  currency: string;
  posted_at: Date;
}

export function postingEntry(row: PostingTrailRow): TrailEntry {
  return {
    at: row.posted_at.toISOString(),
    kind: 'posting',
    summary: `Journal: ${row.direction} ${row.amount_minor} ${row.currency} minor units on account ${row.account_id}.`,
    status: row.direction,
  };
}

export interface HoldTrailRow {
  account_id: string;
  amount_minor: string;
  currency: string;
  status: string;
  captured_minor: string | null;
  release: string | null;
  placed_at: Date;
  settled_at: Date | null;
}

/** The hold as placed, and, once it ended, how (its row keeps both instants). */
export function holdEntries(row: HoldTrailRow): TrailEntry[] {
  const placed: TrailEntry = {
    at: row.placed_at.toISOString(),
    kind: 'hold',
    summary: `Held ${row.amount_minor} ${row.currency} minor units on account ${row.account_id}.`,
    status: 'ACTIVE',
  };
  if (row.settled_at === null) return [placed];
  const ended =
    row.status === 'CAPTURED'
      ? `captured ${row.captured_minor ?? '?'} of ${row.amount_minor} minor units, the rest released`
      : `released (${row.release ?? 'unknown'}), nothing posted`;
  return [
    placed,
    { at: row.settled_at.toISOString(), kind: 'hold', summary: `The hold was ${ended}.`, status: row.status },
  ];
}
