// The invariants OncePay promises, each a pure function from rows already read to a CheckResult: no
// I/O and no clock (the audit's `now` is passed in), so each can be tested from plain rows.
// Amounts are compared as bigint, never as floats.
import { assertNever } from '@oncepay/contracts';
import { CheckCollector, skippedCheck, type CheckResult } from './check-result';
import type { DeadLetterCount } from './dead-letters';
import type { ParkedOutboxRows } from './parked-outbox';
import type {
  AccountRow,
  CurrencyTotalRow,
  JournalEntryRow,
  NotificationRow,
  TransferRow,
  TransferStatus,
} from './snapshots';

export const CHECK_NAMES = {
  transfersSettle: 'transfers-settle',
  balancesSumToZero: 'balances-sum-to-zero',
  postingsMatchTransfers: 'postings-match-transfers',
  balancesMatchJournal: 'balances-match-journal',
  notificationsMatchOutcomes: 'notifications-match-outcomes',
  deadLettersExpected: 'dead-letters-expected',
  outboxNotParked: 'outbox-not-parked',
} as const;

/**
 * (1) Every accepted transfer is terminal, or PENDING for less than the grace: the ledger answers
 * within seconds when the services run, so a transfer PENDING for longer is stuck.
 */
export function checkTransfersSettle(transfers: TransferRow[], now: Date, graceMs: number): CheckResult {
  const found = new CheckCollector();
  const pending = transfers.filter((transfer) => transfer.status === 'PENDING');
  for (const transfer of pending) {
    const ageMs = now.getTime() - transfer.createdAt.getTime();
    const line = `transfer ${transfer.id} PENDING for ${formatDuration(ageMs)} (accepted ${transfer.createdAt.toISOString()})`;
    if (ageMs > graceMs) found.violation(`${line}, past the ${formatDuration(graceMs)} grace`);
    else found.note(`${line}, within the grace`);
  }
  const byStatus = countByStatus(transfers);
  const summary =
    `${transfers.length} transfers (${TRANSFER_STATUS_ORDER.map((s) => `${byStatus[s]} ${s}`).join(', ')}); ` +
    (found.violationCount > 0
      ? `${found.violationCount} PENDING past the ${formatDuration(graceMs)} grace`
      : `none PENDING past the ${formatDuration(graceMs)} grace`);
  return found.result(CHECK_NAMES.transfersSettle, summary);
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
  const perCurrency = totals.map((t) => `${t.currency} ${t.balanceSumMinor} over ${t.accountCount} accounts`);
  const summary =
    totals.length === 0 ? 'no accounts' : `sum of balances per currency: ${perCurrency.join('; ')}`;
  return found.result(CHECK_NAMES.balancesSumToZero, summary);
}

/**
 * (3) The journal says what the transfers say: a COMPLETED transfer has exactly one DEBIT on its from
 * account and one CREDIT on its to account, of its amount and currency; a FAILED one has no entry; a
 * PENDING one has none yet or a whole pair (the ledger posted, its answer is in flight); and every entry
 * belongs to a transfer the transfer-service knows.
 */
export function checkPostingsMatchTransfers(
  transfers: TransferRow[],
  entries: JournalEntryRow[],
): CheckResult {
  const found = new CheckCollector();
  const entriesOf = groupBy(entries, (entry) => entry.transferId);
  for (const transfer of transfers) {
    const own = entriesOf.get(transfer.id) ?? [];
    const status: TransferStatus = transfer.status;
    switch (status) {
      case 'COMPLETED': {
        const problems = postingProblems(transfer, own);
        if (problems.length > 0) found.violation(`transfer ${transfer.id} COMPLETED: ${problems.join('; ')}`);
        break;
      }
      case 'FAILED':
        if (own.length > 0)
          found.violation(
            `transfer ${transfer.id} FAILED (${transfer.failureReason ?? 'no reason'}) but has ${own.length} journal entries (${entryIds(own)})`,
          );
        break;
      case 'PENDING': {
        const problems = own.length === 0 ? [] : postingProblems(transfer, own);
        if (problems.length > 0) found.violation(`transfer ${transfer.id} PENDING: ${problems.join('; ')}`);
        break;
      }
      default:
        assertNever(status);
    }
  }
  const known = new Set(transfers.map((transfer) => transfer.id));
  let orphans = 0;
  for (const [transferId, own] of entriesOf) {
    if (known.has(transferId)) continue;
    orphans += own.length;
    found.violation(
      `${own.length} journal entries (${entryIds(own)}) belong to transfer ${transferId}, which the transfer-service does not know`,
    );
  }
  const summary = `${entries.length} journal entries over ${entriesOf.size} transfers checked against ${transfers.length} transfers; ${orphans} entries of unknown transfers`;
  return found.result(CHECK_NAMES.postingsMatchTransfers, summary);
}

/** What is wrong with a transfer's entries as its posting; empty when they are exactly its pair. */
function postingProblems(transfer: TransferRow, own: JournalEntryRow[]): string[] {
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
    if (BigInt(entry.amountMinor) !== BigInt(transfer.amountMinor))
      problems.push(
        `${entry.direction} #${entry.id} is of ${entry.amountMinor}, the transfer of ${transfer.amountMinor}`,
      );
    if (entry.currency.trim() !== transfer.currency.trim())
      problems.push(
        `${entry.direction} #${entry.id} is in ${entry.currency}, the transfer in ${transfer.currency}`,
      );
  }
  return problems;
}

/**
 * (4) Each account's stored balance is the sum of its journal (credits minus debits), and only an
 * account that allows it (a treasury) is below zero.
 */
export function checkBalancesMatchJournal(accounts: AccountRow[]): CheckResult {
  const found = new CheckCollector();
  for (const account of accounts) {
    const balance = BigInt(account.balanceMinor);
    if (balance !== BigInt(account.journalSumMinor))
      found.violation(
        `account ${account.id} (${account.currency}) has balance ${account.balanceMinor}, its journal sums to ${account.journalSumMinor} (credits minus debits)`,
      );
    if (balance < 0n && !account.allowNegativeBalance)
      found.violation(
        `account ${account.id} (${account.currency}) has negative balance ${account.balanceMinor} but does not allow one`,
      );
  }
  const treasuries = accounts.filter((account) => account.allowNegativeBalance).length;
  const summary = `${accounts.length} accounts (${treasuries} allowed a negative balance) against their journals`;
  return found.result(CHECK_NAMES.balancesMatchJournal, summary);
}

/**
 * (5) Each terminal transfer has exactly one notification, of its outcome and failure reason; none
 * exists for a PENDING or unknown transfer. A terminal transfer without one is in flight while it
 * settled less than the grace ago (the notification-service consumes the outcome asynchronously).
 */
export function checkNotificationsMatchOutcomes(
  transfers: TransferRow[],
  notifications: NotificationRow[],
  now: Date,
  graceMs: number,
): CheckResult {
  const found = new CheckCollector();
  const notificationsOf = groupBy(notifications, (notification) => notification.transferId);
  for (const transfer of transfers) {
    const own = notificationsOf.get(transfer.id) ?? [];
    if (transfer.status === 'PENDING') {
      if (own.length > 0)
        found.violation(
          `transfer ${transfer.id} is PENDING but has ${own.length} notifications (${own.map((n) => n.id).join(', ')})`,
        );
      continue;
    }
    if (own.length === 0) {
      const sinceMs = now.getTime() - transfer.updatedAt.getTime();
      const line = `transfer ${transfer.id} ${transfer.status} ${formatDuration(sinceMs)} ago has no notification`;
      if (sinceMs > graceMs) found.violation(`${line}, past the ${formatDuration(graceMs)} grace`);
      else found.note(`${line} yet, within the grace`);
      continue;
    }
    if (own.length > 1)
      found.violation(
        `transfer ${transfer.id} has ${own.length} notifications (${own.map((n) => n.id).join(', ')}), not one`,
      );
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
  const known = new Set(transfers.map((transfer) => transfer.id));
  for (const [transferId, own] of notificationsOf) {
    if (!known.has(transferId))
      found.violation(
        `notification ${own.map((n) => n.id).join(', ')} is for transfer ${transferId}, which the transfer-service does not know`,
      );
  }
  const terminal = transfers.filter((transfer) => transfer.status !== 'PENDING').length;
  const summary = `${notifications.length} notifications for ${terminal} terminal transfers`;
  return found.result(CHECK_NAMES.notificationsMatchOutcomes, summary);
}

/**
 * (6) The dead-letter topics hold no more waiting messages than expected (0 by default): a dead letter
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
 * (7) No outbox row is parked: a parked row is an event the relay gave up publishing, and the rows of
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

const TRANSFER_STATUS_ORDER: readonly TransferStatus[] = ['COMPLETED', 'FAILED', 'PENDING'];

export function countByStatus(transfers: TransferRow[]): Record<TransferStatus, number> {
  const counts: Record<TransferStatus, number> = { PENDING: 0, COMPLETED: 0, FAILED: 0 };
  for (const transfer of transfers) counts[transfer.status] += 1;
  return counts;
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

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function entryIds(entries: JournalEntryRow[]): string {
  return entries.map((entry) => `#${entry.id}`).join(', ');
}
