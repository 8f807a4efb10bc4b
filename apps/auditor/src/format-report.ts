// The audit report for a person (plain text: one line per check, its violations indented under it)
// or for a program (`--json`: the AuditReport as it is).
import type { AuditReport } from './auditor';

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
    if (unlisted > 0) lines.push(`        ✗ ... and ${unlisted} more violations`);
    for (const note of check.notes) lines.push(`        · ${note}`);
  }
  const { transfers, accounts, journalEntries, notifications, deadLetters } = report.counts;
  const transferCount = transfers.COMPLETED + transfers.FAILED + transfers.PENDING;
  lines.push(
    `counts: ${transferCount} transfers (${transfers.COMPLETED} COMPLETED, ${transfers.FAILED} FAILED, ` +
      `${transfers.PENDING} PENDING), ${accounts} accounts, ${journalEntries} journal entries, ` +
      `${notifications} notifications, ${deadLetters === null ? 'dead letters not checked' : `${deadLetters} dead letters`}`,
  );
  return lines.join('\n');
}

export function formatReportJson(report: AuditReport): string {
  return JSON.stringify(report, null, 2);
}
