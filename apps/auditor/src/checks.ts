// The invariants OncePay promises. Those over transfers and accounts are PagedChecks: they consume the
// rows a page at a time (a page of TransferStories, transfer-stories.ts, or of accounts) and keep only
// counters and a bounded CheckCollector, so an audit of a billion transfers needs the memory of one
// page. All are pure: no I/O and no clock (the audit's `now` is passed in), so each can be tested from
// plain rows. Amounts are compared as bigint, never as floats.
//
// A new check over transfers is one more PagedCheck<TransferStory[]> in auditor.ts' list; a check of
// something else (a topic, a table of its own) is a function returning a CheckResult, like
// checkDeadLetters. The checks of holds and refunds live in hold-checks.ts and refund-checks.ts; every
// check's name is here, in CHECK_NAMES, in the order the report lists them.
import { assertNever } from '@oncepay/contracts';
import { CheckCollector, skippedCheck, type CheckResult, type PagedCheck } from './check-result';
import type { DeadLetterCount } from './dead-letters';
import type { ParkedOutboxRows } from './parked-outbox';
import type {
  AccountRow,
  CurrencyTotalRow,
  DecisionRow,
  JournalEntryRow,
  TransferRow,
  TransferStatus,
} from './snapshots';
import type { TransferStory } from './transfer-stories';

export const CHECK_NAMES = {
  transfersSettle: 'transfers-settle',
  balancesSumToZero: 'balances-sum-to-zero',
  postingsMatchTransfers: 'postings-match-transfers',
  decisionsMatchTransfers: 'decisions-match-transfers',
  balancesMatchJournal: 'balances-match-journal',
  notificationsMatchOutcomes: 'notifications-match-outcomes',
  holdsWithinBalances: 'holds-within-balances',
  holdsSettleExactly: 'holds-settle-exactly',
  holdsMatchTransfers: 'holds-match-transfers',
  holdsEnd: 'holds-end',
  refundsWithinPayments: 'refunds-within-payments',
  refundPostingsWithinPayments: 'refund-postings-within-payments',
  deadLettersExpected: 'dead-letters-expected',
  outboxNotParked: 'outbox-not-parked',
} as const;

export type TransferCheck = PagedCheck<TransferStory[]>;

/** The statuses a transfer never leaves (the state machine's TERMINAL_STATUSES). */
export const TERMINAL_STATUSES: readonly TransferStatus[] = [
  'COMPLETED',
  'FAILED',
  'CAPTURED',
  'VOIDED',
  'EXPIRED',
];

export function isTerminal(status: TransferStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A hold is a transfer with an expiry (its facts' `holdExpiresAt`). */
export function isHold(transfer: TransferRow): boolean {
  return transfer.holdExpiresAt !== null;
}

/** A hold the ledger placed and whose end is not carried out yet: HELD, CAPTURING, VOIDING, EXPIRING. */
export const HOLD_IN_PROGRESS_STATUSES: readonly TransferStatus[] = [
  'HELD',
  'CAPTURING',
  'VOIDING',
  'EXPIRING',
];

/**
 * (1) Every accepted transfer is terminal, or PENDING for less than the grace: the ledger answers
 * within seconds when the services run, so a transfer PENDING for longer is stuck.
 */
export function transfersSettle(now: Date, graceMs: number): TransferCheck {
  const found = new CheckCollector();
  const byStatus = new StatusCounter();
  return {
    name: CHECK_NAMES.transfersSettle,
    consume(page) {
      for (const { transfer } of page) {
        if (transfer === undefined) continue;
        byStatus.add(transfer.status);
        if (transfer.status !== 'PENDING') continue;
        const ageMs = now.getTime() - transfer.createdAt.getTime();
        const line = `transfer ${transfer.id} PENDING for ${formatDuration(ageMs)} (accepted ${transfer.createdAt.toISOString()})`;
        if (ageMs > graceMs) found.violation(`${line}, past the ${formatDuration(graceMs)} grace`);
        else found.note(`${line}, within the grace`);
      }
    },
    result() {
      const summary =
        `${byStatus.total} transfers (${byStatus.describe()}); ` +
        (found.violationCount > 0
          ? `${found.violationCount} PENDING past the ${formatDuration(graceMs)} grace`
          : `none PENDING past the ${formatDuration(graceMs)} grace`);
      return found.result(CHECK_NAMES.transfersSettle, summary);
    },
  };
}

/** (2) Money only moves: per currency, all balances (the treasury's negative one too) add up to zero. */
export function checkBalancesSumToZero(totals: CurrencyTotalRow[]): CheckResult {
  const found = new CheckCollector();
  for (const total of totals) {
    if (BigInt(total.balanceSumMinor) !== 0n)
      found.violation(
        `${total.currency}: the balances of ${total.accountCount} accounts sum to ${total.balanceSumMinor}, not 0`,
      );
  }
  // Held money is reserved, not moved: it is no part of the sum, only said.
  const perCurrency = totals.map(
    (t) =>
      `${t.currency} ${t.balanceSumMinor} over ${t.accountCount} accounts` +
      (BigInt(t.heldSumMinor) === 0n ? '' : ` (${t.heldSumMinor} of it held)`),
  );
  const summary =
    totals.length === 0 ? 'no accounts' : `sum of balances per currency: ${perCurrency.join('; ')}`;
  return found.result(CHECK_NAMES.balancesSumToZero, summary);
}

/**
 * (3) The journal says what the transfers say: a COMPLETED transfer has exactly one DEBIT on its from
 * account and one CREDIT on its to account, of its amount and currency; a FAILED one has no entry; a
 * PENDING one has none yet or a whole pair (the ledger posted, its answer is in flight); and every entry
 * belongs to a transfer the transfer-service knows. A hold posts nothing until it is captured: a
 * CAPTURED hold has the pair of its capture amount, a CAPTURING one none or that pair (in flight), and
 * every other hold none (held money is not moved money).
 */
export function postingsMatchTransfers(): TransferCheck {
  const found = new CheckCollector();
  let transfers = 0;
  let entries = 0;
  let transfersWithEntries = 0;
  let orphans = 0;
  return {
    name: CHECK_NAMES.postingsMatchTransfers,
    consume(page) {
      for (const { transferId, transfer, entries: own } of page) {
        entries += own.length;
        if (own.length > 0) transfersWithEntries += 1;
        if (transfer === undefined) {
          if (own.length === 0) continue;
          orphans += own.length;
          found.violation(
            `${own.length} journal entries (${entryIds(own)}) belong to transfer ${transferId}, which the transfer-service does not know`,
          );
          continue;
        }
        transfers += 1;
        const problem = postingProblem(transfer, own);
        if (problem !== undefined) found.violation(problem);
      }
    },
    result() {
      const summary = `${entries} journal entries over ${transfersWithEntries} transfers checked against ${transfers} transfers; ${orphans} entries of unknown transfers`;
      return found.result(CHECK_NAMES.postingsMatchTransfers, summary);
    },
  };
}

/** The violation a transfer's entries make, if any. */
function postingProblem(transfer: TransferRow, own: JournalEntryRow[]): string | undefined {
  const status: TransferStatus = transfer.status;
  const problemsOf = (problems: string[]) =>
    problems.length > 0 ? `transfer ${transfer.id} ${status}: ${problems.join('; ')}` : undefined;
  const noEntries = (what: string) =>
    own.length > 0
      ? `transfer ${transfer.id} ${what} but has ${own.length} journal entries (${entryIds(own)})`
      : undefined;
  switch (status) {
    case 'COMPLETED':
      return problemsOf(pairProblems(transfer, own, transfer.amountMinor));
    case 'FAILED':
      return noEntries(`FAILED (${transfer.failureReason ?? 'no reason'})`);
    case 'PENDING':
      // A hold's placement posts nothing; a payment's posting may be in flight.
      if (isHold(transfer)) return noEntries('PENDING, a hold not placed yet,');
      return problemsOf(own.length === 0 ? [] : pairProblems(transfer, own, transfer.amountMinor));
    case 'CAPTURED':
      return problemsOf(pairProblems(transfer, own, captureAmountOf(transfer)));
    case 'CAPTURING':
      return problemsOf(own.length === 0 ? [] : pairProblems(transfer, own, captureAmountOf(transfer)));
    case 'HELD':
    case 'VOIDING':
    case 'VOIDED':
    case 'EXPIRING':
    case 'EXPIRED':
      return noEntries(`${status}, a hold not captured,`);
    default:
      return assertNever(status);
  }
}

/** What a CAPTURING or CAPTURED hold captured (the schema's trigger makes it present; "0" if not, so it shows). */
function captureAmountOf(transfer: TransferRow): string {
  return transfer.captureAmountMinor ?? '0';
}

/**
 * What is wrong with a transfer's entries as its posting of `amountMinor`; empty when they are exactly
 * its pair.
 */
function pairProblems(transfer: TransferRow, own: JournalEntryRow[], amountMinor: string): string[] {
  if (own.length === 0) return ['no journal entries'];
  const debits = own.filter((entry) => entry.direction === 'DEBIT');
  const credits = own.filter((entry) => entry.direction === 'CREDIT');
  const problems: string[] = [];
  if (debits.length !== 1 || credits.length !== 1)
    problems.push(
      `expected one DEBIT and one CREDIT, found ${debits.length} DEBIT and ${credits.length} CREDIT (${entryIds(own)})`,
    );
  const expectedAccount = { DEBIT: transfer.fromAccountId, CREDIT: transfer.toAccountId } as const;
  for (const entry of own) {
    const side = entry.direction === 'DEBIT' ? 'from' : 'to';
    if (entry.accountId !== expectedAccount[entry.direction])
      problems.push(
        `${entry.direction} #${entry.id} is on account ${entry.accountId}, not the ${side} account`,
      );
    if (BigInt(entry.amountMinor) !== BigInt(amountMinor))
      problems.push(
        amountMinor === transfer.amountMinor
          ? `${entry.direction} #${entry.id} is of ${entry.amountMinor}, the transfer of ${transfer.amountMinor}`
          : `${entry.direction} #${entry.id} is of ${entry.amountMinor}, the capture of ${amountMinor}`,
      );
    if (entry.currency.trim() !== transfer.currency.trim())
      problems.push(
        `${entry.direction} #${entry.id} is in ${entry.currency}, the transfer in ${transfer.currency}`,
      );
  }
  return problems;
}

/**
 * (4) The ledger decided what the transfer-service recorded. Every FAILED transfer comes from a ledger
 * rejection (the transfer-service refuses bad requests before accepting them, and fails a transfer only
 * on a TransferRejected), so:
 * - COMPLETED ⇔ one POSTED decision;
 * - FAILED with reason R ⇔ one REJECTED decision with reason R;
 * - a placed hold (HELD, CAPTURING, VOIDING, EXPIRING, CAPTURED, VOIDED, EXPIRED) ⇔ one HELD decision:
 *   its capture posts under the same transfer id but decides nothing new. One still ending that has no
 *   decision is in flight only while it changed status less than the grace ago (the ledger's snapshot
 *   predates the transfers'); one ended has its decision;
 * - PENDING: no decision yet, or a decision whose answer is in flight: decided less than the grace
 *   ago; a decision older than that was never applied, and the transfer is stuck for good. A hold's
 *   decision is HELD or REJECTED, a payment's or a refund's POSTED or REJECTED;
 * - a refund's decision names the payment the transfer names (`refund_of`), and only a refund's names one;
 * - a decision for a transfer the transfer-service does not know is a violation.
 */
export function decisionsMatchTransfers(now: Date, graceMs: number): TransferCheck {
  const found = new CheckCollector();
  let decisions = 0;
  let transfers = 0;
  let orphans = 0;
  return {
    name: CHECK_NAMES.decisionsMatchTransfers,
    consume(page) {
      for (const { transferId, transfer, decisions: own } of page) {
        decisions += own.length;
        if (transfer === undefined) {
          if (own.length === 0) continue;
          orphans += own.length;
          found.violation(
            `the ledger decided ${describeDecisions(own)} for transfer ${transferId}, which the transfer-service does not know`,
          );
          continue;
        }
        transfers += 1;
        const [decision, ...more] = own;
        if (more.length > 0) {
          found.violation(
            `transfer ${transfer.id} has ${own.length} decisions (${describeDecisions(own)}), not one`,
          );
          continue;
        }
        const seen = judgeDecision(transfer, decision, now, graceMs);
        if (seen?.kind === 'violation') found.violation(seen.line);
        else if (seen?.kind === 'note') found.note(seen.line);
        if (decision !== undefined && decision.refundOf !== transfer.refundOf)
          found.violation(
            `transfer ${transfer.id} ${transfer.refundOf === null ? 'is no refund' : `refunds ${transfer.refundOf}`} but the ledger decided it as ${decision.refundOf === null ? 'no refund' : `a refund of ${decision.refundOf}`}`,
          );
      }
    },
    result() {
      const summary = `${decisions} ledger decisions checked against ${transfers} transfers; ${orphans} decisions of unknown transfers`;
      return found.result(CHECK_NAMES.decisionsMatchTransfers, summary);
    },
  };
}

function judgeDecision(
  transfer: TransferRow,
  decision: DecisionRow | undefined,
  now: Date,
  graceMs: number,
): { kind: 'violation' | 'note'; line: string } | undefined {
  const status: TransferStatus = transfer.status;
  const decided = decision === undefined ? 'no decision' : describeDecisions([decision]);
  const accepted = isHold(transfer) ? 'HELD' : 'POSTED';
  switch (status) {
    case 'HELD':
    case 'CAPTURING':
    case 'VOIDING':
    case 'EXPIRING': {
      if (decision?.outcome === 'HELD') return undefined;
      const line = `transfer ${transfer.id} ${status} but the ledger has ${decided}`;
      if (decision !== undefined) return { kind: 'violation', line };
      // Placed before the transfer became HELD, so before updatedAt: an older one is really missing.
      const sinceMs = now.getTime() - transfer.updatedAt.getTime();
      return sinceMs > graceMs
        ? { kind: 'violation', line: `${line}, ${formatDuration(sinceMs)} after it changed status` }
        : { kind: 'note', line: `${line} in its snapshot yet: placed a moment ago` };
    }
    case 'CAPTURED':
    case 'VOIDED':
    case 'EXPIRED':
      return decision?.outcome === 'HELD'
        ? undefined
        : { kind: 'violation', line: `transfer ${transfer.id} ${status} but the ledger has ${decided}` };
    case 'COMPLETED':
      return decision?.outcome === 'POSTED'
        ? undefined
        : { kind: 'violation', line: `transfer ${transfer.id} COMPLETED but the ledger has ${decided}` };
    case 'FAILED':
      return decision?.outcome === 'REJECTED' && decision.reason === transfer.failureReason
        ? undefined
        : {
            kind: 'violation',
            line: `transfer ${transfer.id} FAILED (${transfer.failureReason ?? 'no reason'}) but the ledger has ${decided}`,
          };
    case 'PENDING': {
      if (decision === undefined) return undefined;
      if (decision.outcome !== 'REJECTED' && decision.outcome !== accepted)
        return {
          kind: 'violation',
          line: `transfer ${transfer.id} PENDING, a ${isHold(transfer) ? 'hold' : 'one-step transfer'}, but the ledger decided ${decided}`,
        };
      const sinceMs = now.getTime() - decision.decidedAt.getTime();
      const line = `transfer ${transfer.id} PENDING though the ledger decided ${decided} ${formatDuration(sinceMs)} ago`;
      return sinceMs > graceMs
        ? { kind: 'violation', line: `${line}, past the ${formatDuration(graceMs)} grace` }
        : { kind: 'note', line: `${line}: its answer is in flight` };
    }
    default:
      return assertNever(status);
  }
}

function describeDecisions(decisions: DecisionRow[]): string {
  return decisions
    .map((decision) =>
      decision.outcome === 'REJECTED' ? `REJECTED (${String(decision.reason)})` : decision.outcome,
    )
    .join(', ');
}

/**
 * The currencies of an account's rows (journal entries, holds) that are not the account's own, as
 * `from X to Y`: the first and last in sort order, the two bounds PostgreSQL aggregated (snapshots.ts).
 * Null when every row is in the account's currency, or it has none.
 */
export function foreignCurrencies(
  account: Pick<AccountRow, 'currency'>,
  first: string | null,
  last: string | null,
): string | null {
  const [low, high] = [first ?? account.currency, last ?? account.currency];
  return low === account.currency && high === account.currency ? null : `from ${low} to ${high}`;
}

/**
 * (5) Each account's stored balance is the sum of its journal (credits minus debits), every entry of
 * that journal is in the account's currency, and only an account that allows it (a treasury) is below
 * zero. The currency is checked here because no other check would see it: an entry in the transfer's
 * currency on an account of another one matches its transfer, and its amount sums into the balance.
 */
export function balancesMatchJournal(): PagedCheck<AccountRow[]> {
  const found = new CheckCollector();
  let accounts = 0;
  let treasuries = 0;
  return {
    name: CHECK_NAMES.balancesMatchJournal,
    consume(page) {
      for (const account of page) {
        accounts += 1;
        if (account.allowNegativeBalance) treasuries += 1;
        const balance = BigInt(account.balanceMinor);
        if (balance !== BigInt(account.journalSumMinor))
          found.violation(
            `account ${account.id} (${account.currency}) has balance ${account.balanceMinor}, its journal sums to ${account.journalSumMinor} (credits minus debits)`,
          );
        const foreign = foreignCurrencies(account, account.journalCurrencyFirst, account.journalCurrencyLast);
        if (foreign !== null)
          found.violation(
            `account ${account.id} (${account.currency}) has journal entries in another currency (${foreign})`,
          );
        if (balance < 0n && !account.allowNegativeBalance)
          found.violation(
            `account ${account.id} (${account.currency}) has negative balance ${account.balanceMinor} but does not allow one`,
          );
      }
    },
    result() {
      const summary = `${accounts} accounts (${treasuries} allowed a negative balance) against their journals`;
      return found.result(CHECK_NAMES.balancesMatchJournal, summary);
    },
  };
}

/**
 * (6) Each terminal transfer (COMPLETED, FAILED, and a hold's CAPTURED, VOIDED, EXPIRED) has exactly one
 * notification, of its final status and failure reason; none exists for a transfer still under way
 * (PENDING, or a hold HELD or ending) or an unknown one. A terminal transfer without one is in flight
 * while it settled less than the grace ago (the notification-service consumes the outcome asynchronously).
 */
export function notificationsMatchOutcomes(now: Date, graceMs: number): TransferCheck {
  const found = new CheckCollector();
  let notifications = 0;
  let terminal = 0;
  return {
    name: CHECK_NAMES.notificationsMatchOutcomes,
    consume(page) {
      for (const { transferId, transfer, notifications: own } of page) {
        notifications += own.length;
        const ids = own.map((n) => n.id).join(', ');
        if (transfer === undefined) {
          if (own.length > 0)
            found.violation(
              `notification ${ids} is for transfer ${transferId}, which the transfer-service does not know`,
            );
          continue;
        }
        if (!isTerminal(transfer.status)) {
          if (own.length > 0)
            found.violation(
              `transfer ${transfer.id} is ${transfer.status} but has ${own.length} notifications (${ids})`,
            );
          continue;
        }
        terminal += 1;
        if (own.length === 0) {
          const sinceMs = now.getTime() - transfer.updatedAt.getTime();
          const line = `transfer ${transfer.id} ${transfer.status} ${formatDuration(sinceMs)} ago has no notification`;
          if (sinceMs > graceMs) found.violation(`${line}, past the ${formatDuration(graceMs)} grace`);
          else found.note(`${line} yet, within the grace`);
          continue;
        }
        if (own.length > 1)
          found.violation(`transfer ${transfer.id} has ${own.length} notifications (${ids}), not one`);
        for (const notification of own) {
          if (notification.outcome !== transfer.status)
            found.violation(
              `notification ${notification.id} says ${notification.outcome}, transfer ${transfer.id} is ${transfer.status}`,
            );
          else if (notification.failureReason !== transfer.failureReason)
            found.violation(
              `notification ${notification.id} gives failure reason ${String(notification.failureReason)}, transfer ${transfer.id} ${String(transfer.failureReason)}`,
            );
        }
      }
    },
    result() {
      const summary = `${notifications} notifications for ${terminal} terminal transfers`;
      return found.result(CHECK_NAMES.notificationsMatchOutcomes, summary);
    },
  };
}

/**
 * (7) The dead-letter topics hold no more waiting messages than expected (0 by default): a dead letter
 * is a message a consumer could not process, so some transfer's story is missing a step (or, for the
 * ledger's requests, ended FAILED by design) until an operator replays or discards it (`npm run dlq`).
 */
export function checkDeadLetters(counts: DeadLetterCount[] | undefined, expected: number): CheckResult {
  if (counts === undefined)
    return skippedCheck(CHECK_NAMES.deadLettersExpected, 'skipped: no Kafka brokers given');
  const found = new CheckCollector();
  const total = counts.reduce((sum, count) => sum + count.messages, 0n);
  if (total > BigInt(expected)) {
    for (const count of counts.filter((c) => c.messages > 0n))
      found.violation(`${count.topic} holds ${count.messages} waiting messages`);
  }
  const missing = counts.filter((count) => !count.exists).map((count) => count.topic);
  const summary =
    `${counts.length} dead-letter topics hold ${total} waiting messages, expected at most ${expected}` +
    (missing.length > 0 ? `; not created yet (counted as empty): ${missing.join(', ')}` : '');
  return found.result(CHECK_NAMES.deadLettersExpected, summary);
}

/**
 * (8) No outbox row is parked: a parked row is an event the relay gave up publishing, and the rows of
 * its key (its transfer) wait behind it, so that transfer's story stops until an operator releases or
 * discards it (`npm run outbox`).
 */
export function checkOutboxNotParked(parked: ParkedOutboxRows[]): CheckResult {
  const found = new CheckCollector();
  for (const { service, total, rows } of parked) {
    for (const row of rows)
      found.violation(
        `${service} outbox row ${row.position} (event ${row.id}, topic ${row.topic}, key ${row.key}) parked` +
          `${row.parkedAt ? ` at ${row.parkedAt.toISOString()}` : ''} after ${row.attempts} attempts, ` +
          `${row.waitingBehind} rows of its key waiting behind it; last error: ${row.lastError ?? 'none recorded'}`,
      );
    for (let unread = total - rows.length; unread > 0; unread--)
      found.violation(`${service}: a parked outbox row past the first ${rows.length} read`);
  }
  const perService = parked.map(({ service, total }) => `${total} in ${service}`).join(', ');
  const summary =
    found.violationCount === 0
      ? `no parked outbox rows (${perService})`
      : `${found.violationCount} parked outbox rows (${perService}): npm run outbox -- list`;
  return found.result(CHECK_NAMES.outboxNotParked, summary);
}

/** The order statuses are counted in: a payment's three always, a hold's when there are any. */
const TRANSFER_STATUS_ORDER: readonly TransferStatus[] = [
  'COMPLETED',
  'FAILED',
  'PENDING',
  'HELD',
  'CAPTURING',
  'CAPTURED',
  'VOIDING',
  'VOIDED',
  'EXPIRING',
  'EXPIRED',
];
const ALWAYS_COUNTED: readonly TransferStatus[] = ['COMPLETED', 'FAILED', 'PENDING'];

export function emptyStatusCounts(): Record<TransferStatus, number> {
  return Object.fromEntries(TRANSFER_STATUS_ORDER.map((status) => [status, 0])) as Record<
    TransferStatus,
    number
  >;
}

/** `3 COMPLETED, 0 FAILED, 1 PENDING, 2 HELD`: the statuses with transfers, a payment's three always. */
export function describeStatusCounts(counts: Record<TransferStatus, number>): string {
  return TRANSFER_STATUS_ORDER.filter((status) => ALWAYS_COUNTED.includes(status) || counts[status] > 0)
    .map((status) => `${counts[status]} ${status}`)
    .join(', ');
}

/** Transfers counted by status, as they stream past. */
export class StatusCounter {
  readonly counts: Record<TransferStatus, number> = emptyStatusCounts();

  add(status: TransferStatus): void {
    this.counts[status] += 1;
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, count) => sum + count, 0);
  }

  describe(): string {
    return describeStatusCounts(this.counts);
  }
}

/** `850 ms`, `42.0 s`, `5 min 3 s`, `2 h 7 min`, `3 d 4 h`: an age an operator reads at a glance. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 120) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function entryIds(entries: JournalEntryRow[]): string {
  return entries.map((entry) => `#${entry.id}`).join(', ');
}
