// The reconciliation auditor: reads the three services' databases (read-only) and, when given brokers,
// the dead-letter topics, then checks the invariants OncePay promises across them. It changes nothing;
// it returns a report. An infrastructure failure throws an AuditSourceError naming what failed.
//
// Memory is bounded by the page size, not by the tables: every table is read through cursors a page at
// a time (snapshots.ts), the transfer-wise tables are merged page by page (transfer-stories.ts), and
// each check keeps counters and a bounded list of violations (checks.ts, check-result.ts). The report
// says what the audit cost: its time and peak memory (resource-usage.ts).
import {
  balancesMatchJournal,
  CHECK_NAMES,
  checkBalancesSumToZero,
  checkDeadLetters,
  checkOutboxNotParked,
  decisionsMatchTransfers,
  isHold,
  isTerminal,
  notificationsMatchOutcomes,
  postingsMatchTransfers,
  StatusCounter,
  transfersSettle,
  type TransferCheck,
} from './checks';
import { holdsEnd, holdsMatchTransfers, holdsSettleExactly, holdsWithinBalances } from './hold-checks';
import { refundPostingsWithinPayments, refundsWithinPayments } from './refund-checks';
import type { CheckResult, PagedCheck } from './check-result';
import { countDeadLetters, type DeadLetterCount, type KafkaSecurity } from './dead-letters';
import { readParkedOutboxRows, type ParkedOutboxRows } from './parked-outbox';
import { ResourceMeter, type ResourceUsage } from './resource-usage';
import {
  accountsWithJournalSums,
  beginSnapshot,
  closeReadOnly,
  currencyTotals,
  decisionsInTransferOrder,
  endSnapshot,
  entriesInTransferOrder,
  holdsInTransferOrder,
  notificationsInTransferOrder,
  openReadOnly,
  readLedgerNow,
  refundPostingsByPayment,
  refundsByPayment,
  transfersInIdOrder,
  type AccountRow,
  type AuditSource,
  type CurrencyTotalRow,
  type PaymentRefundsRow,
  type PostedRefundsRow,
  type ReadOnlySource,
  type TransferStatus,
} from './snapshots';
import { storyPages, type TransferStory } from './transfer-stories';

export { AuditSourceError } from './snapshots';
export { CHECK_NAMES } from './checks';
export type { CheckResult } from './check-result';

/** How long a transfer may stay PENDING, or settled without a notification, before it is a violation. */
export const DEFAULT_PENDING_GRACE_MS = 60_000;
/**
 * How long past its expiry a hold may still be under way (HELD, or ACTIVE in the ledger), and how long
 * one may stay CAPTURING, VOIDING or EXPIRING: the expiry job runs every few seconds, and a running
 * system's in-flight holds must not be flagged.
 */
export const DEFAULT_HOLD_GRACE_MS = 5 * 60_000;
/** Rows fetched per query, and transfers per page of the checks: what bounds the audit's memory. */
export const DEFAULT_PAGE_SIZE = 1_000;

export interface AuditTargets {
  transferDatabaseUrl: string;
  ledgerDatabaseUrl: string;
  notificationDatabaseUrl: string;
  /** Without brokers the dead-letter check is skipped (reported as such). */
  kafkaBrokers?: string[];
  /** TLS and SASL to the brokers; none by default. */
  kafkaSecurity?: KafkaSecurity;
  /** KAFKA_NAMESPACE of the services audited, e.g. `staging.`; empty by default. */
  kafkaNamespace?: string;
  /** The audit's clock, for ages; defaults to the time the audit starts. */
  now?: Date;
  pendingGraceMs?: number;
  /** See DEFAULT_HOLD_GRACE_MS. */
  holdGraceMs?: number;
  /** Dead letters an operator already knows about; more than this is a violation. Default 0. */
  expectedDeadLetters?: number;
  /** Rows per page (DEFAULT_PAGE_SIZE by default). */
  pageSize?: number;
}

export interface AuditReport {
  ok: boolean;
  /** ISO 8601: the `now` ages were measured against. */
  checkedAt: string;
  /** In CHECK_NAMES' order. */
  checks: CheckResult[];
  counts: {
    transfers: Record<TransferStatus, number>;
    accounts: number;
    journalEntries: number;
    decisions: number;
    holds: number;
    notifications: number;
    /** Null when Kafka was not checked. */
    deadLetters: number | null;
  };
  /** What the audit cost, and the page size that bounded its memory. */
  resources: ResourceUsage & { pageSize: number };
}

type Counts = Omit<AuditReport['counts'], 'deadLetters'>;

export async function auditOncePay(targets: AuditTargets): Promise<AuditReport> {
  const meter = new ResourceMeter();
  const now = targets.now ?? new Date();
  const graceMs = targets.pendingGraceMs ?? DEFAULT_PENDING_GRACE_MS;
  const holdGraceMs = targets.holdGraceMs ?? DEFAULT_HOLD_GRACE_MS;
  const pageSize = targets.pageSize ?? DEFAULT_PAGE_SIZE;
  // It goes into FETCH's text, and a page of zero would never end.
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new Error(`the page size must be a positive integer, got ${pageSize}`);
  // Every check over transfers sees every page of TransferStories; every check over accounts every page
  // of accounts. A new check is one more entry here and one more name in CHECK_NAMES.
  const transferChecks: TransferCheck[] = [
    transfersSettle(now, graceMs),
    postingsMatchTransfers(),
    decisionsMatchTransfers(now, graceMs),
    notificationsMatchOutcomes(now, graceMs),
    holdsSettleExactly(),
    holdsMatchTransfers(now, graceMs),
    holdsEnd(now, holdGraceMs),
  ];
  const accountChecks: PagedCheck<AccountRow[]>[] = [balancesMatchJournal(), holdsWithinBalances()];
  const refundChecks = refundsWithinPayments();
  const refundPostingChecks = refundPostingsWithinPayments();
  const read = await readDatabases(targets, {
    transferChecks,
    accountChecks,
    refundChecks: [refundChecks],
    refundPostingChecks: [refundPostingChecks],
    pageSize,
    meter,
  });
  const deadLetters = targets.kafkaBrokers
    ? await countDeadLetters(targets.kafkaBrokers, targets.kafkaNamespace ?? '', targets.kafkaSecurity)
    : undefined;
  const checks = inReportOrder([
    ...transferChecks.map((check) => check.result()),
    ...accountChecks.map((check) => check.result()),
    refundChecks.result(),
    refundPostingChecks.result(),
    checkBalancesSumToZero(read.totals),
    checkDeadLetters(deadLetters, targets.expectedDeadLetters ?? 0),
    checkOutboxNotParked(read.parkedOutbox),
  ]);
  return {
    ok: checks.every((check) => check.ok),
    checkedAt: now.toISOString(),
    checks,
    counts: { ...read.counts, deadLetters: deadLetters ? Number(sumOf(deadLetters)) : null },
    resources: { ...meter.finish(), pageSize },
  };
}

interface ReadPlan {
  transferChecks: TransferCheck[];
  accountChecks: PagedCheck<AccountRow[]>[];
  /** Over the transfer-service's refunds grouped by payment. */
  refundChecks: PagedCheck<PaymentRefundsRow[]>[];
  /** Over the ledger's posted refunds grouped by payment. */
  refundPostingChecks: PagedCheck<PostedRefundsRow[]>[];
  pageSize: number;
  meter: ResourceMeter;
}

/**
 * The three databases cannot be read in one snapshot, and the services keep writing while the audit
 * reads. The order the snapshots are taken in makes every cross-database comparison immune to that:
 * - notifications first, transfers last: a notification is written only after its transfer became
 *   terminal, so each notification read finds its transfer, terminal, in the later read;
 * - the ledger before the transfers: entries and decisions are written only for a transfer that exists,
 *   so each one read finds its transfer;
 * - a transfer terminal in the transfers read may have been decided (and posted, or its hold ended)
 *   after the ledger's snapshot; for those without a decision, COMPLETED or CAPTURED without entries,
 *   or a hold ended without its ledger hold ended, the ledger is read again, after the transfers'
 *   snapshot (a transfer's decision, entries and hold are committed before it can become terminal,
 *   so the second read sees them unless they are really missing; nothing of a terminal transfer's own
 *   changes in the ledger afterwards). That re-read is per page of transfers, so it is bounded like
 *   the rest. A transfer still under way is never re-read: the ledger could then lead it;
 * - the refunds are grouped by payment within each database's own snapshot, and compared with nothing
 *   of another database (their decisions are, in the transfers' stories).
 * The three snapshots are taken one after the other, in that order, before any row is read, and stay
 * open while the cursors page through them. The balance checks read accounts and entries in the one
 * ledger snapshot.
 */
async function readDatabases(
  targets: AuditTargets,
  plan: ReadPlan,
): Promise<{ totals: CurrencyTotalRow[]; counts: Counts; parkedOutbox: ParkedOutboxRows[] }> {
  const sources = await openAll([
    ['notification database', targets.notificationDatabaseUrl],
    ['ledger database', targets.ledgerDatabaseUrl],
    ['transfer database', targets.transferDatabaseUrl],
  ]);
  const [notificationDb, ledgerDb, transferDb] = sources;
  try {
    // The ledger read again, outside the snapshot (see above); opened once the others did, so a ledger
    // that cannot be reached is named once.
    const ledgerNowDb = await openReadOnly('ledger database', targets.ledgerDatabaseUrl);
    sources.push(ledgerNowDb);
    for (const db of [notificationDb, ledgerDb, transferDb]) await beginSnapshot(db);
    const { pageSize } = plan;
    const byStatus = new StatusCounter();
    const counts: Counts = {
      transfers: byStatus.counts,
      accounts: 0,
      journalEntries: 0,
      decisions: 0,
      holds: 0,
      notifications: 0,
    };
    const stories = storyPages(
      {
        transfers: transfersInIdOrder(transferDb, pageSize),
        entries: entriesInTransferOrder(ledgerDb, pageSize),
        decisions: decisionsInTransferOrder(ledgerDb, pageSize),
        holds: holdsInTransferOrder(ledgerDb, pageSize),
        notifications: notificationsInTransferOrder(notificationDb, pageSize),
      },
      pageSize,
    );
    for await (const page of stories) {
      for (const story of page) {
        if (story.transfer) byStatus.add(story.transfer.status);
        counts.journalEntries += story.entries.length;
        counts.decisions += story.decisions.length;
        counts.holds += story.holds.length;
        counts.notifications += story.notifications.length;
      }
      await addLateLedgerFacts(ledgerNowDb, page);
      for (const check of plan.transferChecks) check.consume(page);
      plan.meter.sample();
    }
    for await (const page of accountsWithJournalSums(ledgerDb, pageSize)) {
      counts.accounts += page.length;
      for (const check of plan.accountChecks) check.consume(page);
      plan.meter.sample();
    }
    for await (const page of refundPostingsByPayment(ledgerDb, pageSize)) {
      for (const check of plan.refundPostingChecks) check.consume(page);
      plan.meter.sample();
    }
    for await (const page of refundsByPayment(transferDb, pageSize)) {
      for (const check of plan.refundChecks) check.consume(page);
      plan.meter.sample();
    }
    const totals = await currencyTotals(ledgerDb);
    // Compared with nothing else, so read in no particular order.
    const parkedOutbox = [
      await readParkedOutboxRows(transferDb, 'transfer'),
      await readParkedOutboxRows(ledgerDb, 'ledger'),
    ];
    for (const db of [notificationDb, ledgerDb, transferDb]) await endSnapshot(db);
    return { totals, counts, parkedOutbox };
  } finally {
    await Promise.all(sources.map(closeReadOnly));
  }
}

/**
 * Completes, from the ledger as it is now, the stories of terminal transfers the ledger's snapshot
 * predates: a terminal transfer without a decision, a COMPLETED or CAPTURED one without entries, an
 * ended hold whose ledger hold is missing or still ACTIVE. Its ledger facts (entries, decisions, hold)
 * are all replaced from one later snapshot, so they agree with each other. What is still missing
 * afterwards is really missing.
 */
async function addLateLedgerFacts(ledgerNowDb: ReadOnlySource, page: TransferStory[]): Promise<void> {
  const late = page.filter(({ transfer, entries, decisions, holds }) => {
    if (transfer === undefined || !isTerminal(transfer.status)) return false;
    const posts = transfer.status === 'COMPLETED' || transfer.status === 'CAPTURED';
    const placed = isHold(transfer) && transfer.status !== 'FAILED';
    return (
      decisions.length === 0 ||
      (posts && entries.length === 0) ||
      (placed && (holds.length === 0 || holds.some((hold) => hold.status === 'ACTIVE')))
    );
  });
  if (late.length === 0) return;
  const now = await readLedgerNow(
    ledgerNowDb,
    late.map((story) => story.transferId),
  );
  for (const story of late) {
    const own = <Row extends { transferId: string }>(rows: Row[]) =>
      rows.filter((row) => row.transferId === story.transferId);
    story.decisions = own(now.decisions);
    story.entries = own(now.entries);
    story.holds = own(now.holds);
  }
}

const REPORT_ORDER: readonly string[] = Object.values(CHECK_NAMES);

/** The results in CHECK_NAMES' order (a check missing from it comes last): the report reads the same every time. */
function inReportOrder(results: CheckResult[]): CheckResult[] {
  const rank = (result: CheckResult) => {
    const index = REPORT_ORDER.indexOf(result.name);
    return index === -1 ? REPORT_ORDER.length : index;
  };
  return [...results].sort((a, b) => rank(a) - rank(b));
}

/**
 * Opens every connection, or none: when one fails, those that opened are closed, and the error names
 * each connection that failed (an AuditSourceError, or an AggregateError of them when several did).
 */
async function openAll(
  wanted: [[AuditSource, string], [AuditSource, string], [AuditSource, string]],
): Promise<[ReadOnlySource, ReadOnlySource, ReadOnlySource, ...ReadOnlySource[]]> {
  const opened = await Promise.allSettled(wanted.map(([source, url]) => openReadOnly(source, url)));
  const sources = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failures: unknown[] = opened.flatMap((result) =>
    result.status === 'rejected' ? [result.reason] : [],
  );
  if (failures.length > 0) {
    await Promise.all(sources.map(closeReadOnly));
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, 'cannot open the databases');
  }
  return sources as [ReadOnlySource, ReadOnlySource, ReadOnlySource];
}

function sumOf(counts: DeadLetterCount[]): bigint {
  return counts.reduce((sum, count) => sum + count.messages, 0n);
}
