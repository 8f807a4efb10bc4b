// The reconciliation auditor: reads the three services' databases (read-only) and, when given brokers,
// the dead-letter topics, then checks the invariants OncePay promises across them. It changes nothing;
// it returns a report. An infrastructure failure throws an AuditSourceError naming what failed.
import {
  checkBalancesMatchJournal,
  checkBalancesSumToZero,
  checkDeadLetters,
  checkNotificationsMatchOutcomes,
  checkOutboxNotParked,
  checkPostingsMatchTransfers,
  checkTransfersSettle,
  countByStatus,
} from './checks';
import type { CheckResult } from './check-result';
import { countDeadLetters, type DeadLetterCount, type KafkaSecurity } from './dead-letters';
import { readParkedOutboxRows } from './parked-outbox';
import {
  closeReadOnly,
  openReadOnly,
  readEntriesOf,
  readLedger,
  readNotifications,
  readTransfers,
  type AuditSource,
  type JournalEntryRow,
  type ReadOnlySource,
  type TransferStatus,
} from './snapshots';

export { AuditSourceError } from './snapshots';
export { CHECK_NAMES } from './checks';
export type { CheckResult } from './check-result';

/** How long a transfer may stay PENDING, or settled without a notification, before it is a violation. */
export const DEFAULT_PENDING_GRACE_MS = 60_000;

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
  /** Dead letters an operator already knows about; more than this is a violation. Default 0. */
  expectedDeadLetters?: number;
}

export interface AuditReport {
  ok: boolean;
  /** ISO 8601: the `now` ages were measured against. */
  checkedAt: string;
  checks: CheckResult[];
  counts: {
    transfers: Record<TransferStatus, number>;
    accounts: number;
    journalEntries: number;
    notifications: number;
    /** Null when Kafka was not checked. */
    deadLetters: number | null;
  };
}

export async function auditOncePay(targets: AuditTargets): Promise<AuditReport> {
  const now = targets.now ?? new Date();
  const graceMs = targets.pendingGraceMs ?? DEFAULT_PENDING_GRACE_MS;
  const rows = await readDatabases(targets);
  const deadLetters = targets.kafkaBrokers
    ? await countDeadLetters(targets.kafkaBrokers, targets.kafkaNamespace ?? '', targets.kafkaSecurity)
    : undefined;
  const checks = [
    checkTransfersSettle(rows.transfers, now, graceMs),
    checkBalancesSumToZero(rows.ledger.totals),
    checkPostingsMatchTransfers(rows.transfers, rows.entriesForPostings),
    checkBalancesMatchJournal(rows.ledger.accounts),
    checkNotificationsMatchOutcomes(rows.transfers, rows.notifications, now, graceMs),
    checkDeadLetters(deadLetters, targets.expectedDeadLetters ?? 0),
    checkOutboxNotParked(rows.parkedOutbox),
  ];
  return {
    ok: checks.every((check) => check.ok),
    checkedAt: now.toISOString(),
    checks,
    counts: {
      transfers: countByStatus(rows.transfers),
      accounts: rows.ledger.accounts.length,
      journalEntries: rows.ledger.entries.length,
      notifications: rows.notifications.length,
      deadLetters: deadLetters ? Number(sumOf(deadLetters)) : null,
    },
  };
}

/**
 * The three databases cannot be read in one snapshot, and the services keep writing while the audit
 * reads. The order makes every cross-database comparison immune to that:
 * - notifications first, transfers last: a notification is written only after its transfer became
 *   terminal, so each notification read finds its transfer, terminal, in the later read;
 * - the ledger before the transfers: entries are written only for a transfer that exists, so each
 *   entry read finds its transfer;
 * - a transfer COMPLETED in the transfers read may have been posted after the ledger was read; for
 *   those without entries the ledger is read again, afterwards (a COMPLETED transfer's entries are
 *   committed before it completes, so the second read sees them unless they are really missing).
 * The balance checks read accounts and entries in one ledger snapshot.
 */
async function readDatabases(targets: AuditTargets) {
  const sources = await openAll([
    ['notification database', targets.notificationDatabaseUrl],
    ['ledger database', targets.ledgerDatabaseUrl],
    ['transfer database', targets.transferDatabaseUrl],
  ]);
  const [notificationDb, ledgerDb, transferDb] = sources;
  try {
    const notifications = await readNotifications(notificationDb);
    const ledger = await readLedger(ledgerDb);
    const transfers = await readTransfers(transferDb);
    const posted = new Set(ledger.entries.map((entry) => entry.transferId));
    const completedUnposted = transfers
      .filter((transfer) => transfer.status === 'COMPLETED' && !posted.has(transfer.id))
      .map((transfer) => transfer.id);
    const lateEntries: JournalEntryRow[] = await readEntriesOf(ledgerDb, completedUnposted);
    // Compared with nothing else, so read in no particular order.
    const parkedOutbox = [
      await readParkedOutboxRows(transferDb, 'transfer'),
      await readParkedOutboxRows(ledgerDb, 'ledger'),
    ];
    return {
      notifications,
      ledger,
      transfers,
      entriesForPostings: [...ledger.entries, ...lateEntries],
      parkedOutbox,
    };
  } finally {
    await Promise.all(sources.map(closeReadOnly));
  }
}

/**
 * Opens every connection, or none: when one fails, those that opened are closed, and the error names
 * each connection that failed (an AuditSourceError, or an AggregateError of them when several did).
 */
async function openAll(
  wanted: [[AuditSource, string], [AuditSource, string], [AuditSource, string]],
): Promise<[ReadOnlySource, ReadOnlySource, ReadOnlySource]> {
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
