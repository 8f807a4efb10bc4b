// The audit report for a person (plain text: one line per check, its violations indented under it)
// or for a program (`--json`: the AuditReport as it is).
import type { AuditReport } from './auditor';
import { MAX_LISTED_LINES } from './check-result';
import { describeStatusCounts, formatDuration } from './checks';
import { formatBytes } from './resource-usage';

export function formatReport(report: AuditReport): string {
  const failed = report.checks.filter((check) => !check.ok).length;
  const verdict = failed === 0 ? 'OK' : `FAILED (${failed} of ${report.checks.length} checks)`;
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const lines = [`OncePay audit at ${report.checkedAt}: ${verdict}`];
  for (const check of report.checks) {
    const status = check.skipped ? 'SKIP' : check.ok ? 'PASS' : 'FAIL';
    lines.push(`${status}  ${check.name.padEnd(width)}  ${check.summary}`);
    for (const violation of check.violations) lines.push(`        ✗ ${violation}`);
    const unlisted = check.violationCount - check.violations.length;
    if (unlisted > 0)
      lines.push(
        `        ✗ ... and ${unlisted} more violations (only the first ${MAX_LISTED_LINES} are listed)`,
      );
    for (const note of check.notes) lines.push(`        · ${note}`);
  }
  const { transfers, accounts, journalEntries, decisions, holds, notifications, deadLetters } = report.counts;
  const transferCount = Object.values(transfers).reduce((sum, count) => sum + count, 0);
  lines.push(
    `counts: ${transferCount} transfers (${describeStatusCounts(transfers)}), ${accounts} accounts, ` +
      `${journalEntries} journal entries, ${decisions} ledger decisions, ${holds} holds, ` +
      `${notifications} notifications, ${deadLetters === null ? 'dead letters not checked' : `${deadLetters} dead letters`}`,
  );
  const { elapsedMs, cpuMs, maxRssBytes, peakHeapUsedBytes, pageSize } = report.resources;
  lines.push(
    `audited in ${formatDuration(elapsedMs)} (${formatDuration(cpuMs)} of CPU), reading ${pageSize} rows a page: ` +
      `peak RSS ${formatBytes(maxRssBytes)}, peak heap ${formatBytes(peakHeapUsedBytes)}`,
  );
  return lines.join('\n');
}

export function formatReportJson(report: AuditReport): string {
  return JSON.stringify(report, null, 2);
}
