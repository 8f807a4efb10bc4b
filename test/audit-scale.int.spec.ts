// Proves that the paged auditor still finds a needle in a haystack: over 20,000 generated transfers,
// holds and refunds among them (scripts/bench/audit/fill-databases.ts), read 1,000 rows a page, so every check spans many pages, a
// clean fill passes every check, and a fill with one planted fault per database check is reported by
// that check exactly once, naming the planted row, orphans before the first transfer id, between two
// and after the last included.
import { createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { auditOncePay, CHECK_NAMES, type AuditReport } from '../apps/auditor/src/auditor';
import { emptyStatusCounts } from '../apps/auditor/src/checks';
import {
  accountIdOf,
  fillAuditDatabases,
  PLANTED,
  PLANTED_CHECKS,
} from '../scripts/bench/audit/fill-databases';

const TRANSFERS = 20_000;
const PAGE_SIZE = 1_000;
/** What the generated data calls recent (PENDING transfers, in-flight decisions) is within it. */
const GRACE_MS = 3_600_000;

describe('the paged auditor over 20,000 generated transfers', () => {
  const databases: TestDatabase[] = [];

  async function filledAndAudited(plant: boolean): Promise<AuditReport> {
    const [transfer, ledger, notification] = await Promise.all(
      (['transfer', 'ledger', 'notification'] as const).map((name) => createTestDatabase(name)),
    );
    databases.push(transfer!, ledger!, notification!);
    await fillAuditDatabases(
      { transfer: transfer!.adminUrl, ledger: ledger!.adminUrl, notification: notification!.adminUrl },
      { transfers: TRANSFERS, plant },
    );
    return auditOncePay({
      transferDatabaseUrl: transfer!.auditorUrl,
      ledgerDatabaseUrl: ledger!.auditorUrl,
      notificationDatabaseUrl: notification!.auditorUrl,
      pendingGraceMs: GRACE_MS,
      pageSize: PAGE_SIZE,
    });
  }

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('passes every check on consistent data, having read every row', async () => {
    const report = await filledAndAudited(false);
    expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([]);
    expect(report.counts).toEqual({
      // 80% from the treasury (an eighth of them holds, one of each end state and HELD), 10% FAILED,
      // 10% PENDING, and a refund of every 50th payment.
      transfers: {
        ...emptyStatusCounts(),
        COMPLETED: 14_400 + 400,
        FAILED: 2_000,
        PENDING: 2_000,
        HELD: 400,
        CAPTURED: 400,
        VOIDED: 400,
        EXPIRED: 400,
      },
      accounts: 201,
      journalEntries: 2 * (14_400 + 400 + 400),
      decisions: 19_400,
      holds: 1_600,
      notifications: 18_000,
      deadLetters: null,
    });
    expect(report.resources.pageSize).toBe(PAGE_SIZE);
    // The PENDING transfers with a decision made a moment ago: noted as in flight, not violations.
    const decisions = report.checks.find((check) => check.name === CHECK_NAMES.decisionsMatchTransfers);
    expect(decisions?.notes.at(-1)).toBe('... and 980 more');
  }, 120_000);

  it('reports each planted fault exactly once, by the check meant to catch it', async () => {
    const report = await filledAndAudited(true);
    const found = Object.fromEntries(
      report.checks
        .filter((check) => PLANTED_CHECKS.includes(check.name))
        .map((check) => [check.name, check.violations]),
    );
    expect(found).toEqual({
      [CHECK_NAMES.transfersSettle]: [
        expect.stringContaining(`transfer ${PLANTED.stuckTransfer} PENDING for 2 d`),
      ],
      [CHECK_NAMES.balancesSumToZero]: ['EUR: the balances of 201 accounts sum to 1, not 0'],
      [CHECK_NAMES.postingsMatchTransfers]: [
        expect.stringMatching(
          `^2 journal entries .* belong to transfer ${PLANTED.orphanPostingTransfer}, which the transfer-service does not know$`,
        ),
      ],
      [CHECK_NAMES.decisionsMatchTransfers]: [
        `the ledger decided REJECTED (ACCOUNT_NOT_FOUND) for transfer ${PLANTED.orphanDecisionTransfer}, which the transfer-service does not know`,
      ],
      [CHECK_NAMES.balancesMatchJournal]: [
        expect.stringMatching(
          `^account ${accountIdOf(PLANTED.driftedAccountNumber)} \\(EUR\\) has balance \\d+, its journal sums to \\d+`,
        ),
      ],
      [CHECK_NAMES.holdsWithinBalances]: [
        expect.stringMatching(
          `^account ${accountIdOf(PLANTED.overHeldAccountNumber)} \\(EUR\\) holds \\d+, its ACTIVE holds sum to \\d+$`,
        ),
      ],
      [CHECK_NAMES.holdsEnd]: [
        expect.stringMatching(
          `^hold ${PLANTED.forgottenHold}: the transfer is HELD 2 d 0 h after its expiry`,
        ),
      ],
      [CHECK_NAMES.notificationsMatchOutcomes]: [
        expect.stringMatching(
          `is for transfer ${PLANTED.orphanNotificationTransfer}, which the transfer-service does not know$`,
        ),
      ],
    });
    // Exactly once each, and nothing found by any other check.
    for (const check of report.checks)
      expect([check.name, check.violationCount]).toEqual([
        check.name,
        PLANTED_CHECKS.includes(check.name) ? 1 : 0,
      ]);
  }, 120_000);
});
