// Proves, from plain rows and without infrastructure, that each audit check flags exactly the faults
// it is meant to (amounts compared exactly, as bigint), that the report is bounded and readable, and
// that the CLI's flags parse into the audit's targets.
import { MAX_LISTED_LINES } from '../apps/auditor/src/check-result';
import type { AuditReport } from '../apps/auditor/src/auditor';
import {
  checkBalancesMatchJournal,
  checkBalancesSumToZero,
  checkDeadLetters,
  checkNotificationsMatchOutcomes,
  checkPostingsMatchTransfers,
  checkTransfersSettle,
  formatDuration,
} from '../apps/auditor/src/checks';
import { parseCliOptions, type AuditDefaults } from '../apps/auditor/src/cli-options';
import { localStackDefaults } from '../apps/auditor/src/config/local-stack';
import { formatReport, formatReportJson } from '../apps/auditor/src/format-report';
import type {
  AccountRow,
  JournalEntryRow,
  NotificationRow,
  TransferRow,
  TransferStatus,
} from '../apps/auditor/src/snapshots';
import { AUDITOR_ROLE, SERVICES } from '../scripts/infra/services';
import { postgresUrl, stackConfig } from '../scripts/infra/stack-config';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const GRACE_MS = 60_000;
const FROM = 'aaaaaaaa-0000-4000-8000-000000000001';
const TO = 'aaaaaaaa-0000-4000-8000-000000000002';

function transfer(id: string, status: TransferStatus, overrides: Partial<TransferRow> = {}): TransferRow {
  return {
    id,
    status,
    fromAccountId: FROM,
    toAccountId: TO,
    amountMinor: '2500',
    currency: 'EUR',
    failureReason: status === 'FAILED' ? 'INSUFFICIENT_FUNDS' : null,
    createdAt: new Date(NOW.getTime() - 10 * 60_000),
    updatedAt: new Date(NOW.getTime() - 10 * 60_000),
    ...overrides,
  };
}

let nextEntryId = 1;
function pairOf(t: TransferRow): JournalEntryRow[] {
  const base = { transferId: t.id, amountMinor: t.amountMinor, currency: t.currency };
  return [
    { ...base, id: String(nextEntryId++), accountId: t.fromAccountId, direction: 'DEBIT' },
    { ...base, id: String(nextEntryId++), accountId: t.toAccountId, direction: 'CREDIT' },
  ];
}

function notificationOf(t: TransferRow, overrides: Partial<NotificationRow> = {}): NotificationRow {
  if (t.status === 'PENDING') throw new Error('a PENDING transfer has no outcome');
  return {
    id: `n-${t.id}`,
    transferId: t.id,
    outcome: t.status,
    failureReason: t.failureReason,
    ...overrides,
  };
}

describe('checkTransfersSettle', () => {
  it('notes a PENDING transfer within the grace and flags one past it, with its age', () => {
    const fresh = transfer('t-fresh', 'PENDING', { createdAt: new Date(NOW.getTime() - 5_000) });
    const stuck = transfer('t-stuck', 'PENDING', { createdAt: new Date(NOW.getTime() - 3 * 3_600_000) });
    const result = checkTransfersSettle([transfer('t-done', 'COMPLETED'), fresh, stuck], NOW, GRACE_MS);
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      expect.stringMatching(/t-stuck PENDING for 3 h 0 min .*past the 60\.0 s grace/),
    ]);
    expect(result.notes).toEqual([expect.stringMatching(/t-fresh PENDING for 5\.0 s .*within the grace/)]);
    expect(result.summary).toContain('3 transfers (1 COMPLETED, 0 FAILED, 2 PENDING)');
  });

  it('passes when every transfer is terminal', () => {
    expect(
      checkTransfersSettle([transfer('t1', 'COMPLETED'), transfer('t2', 'FAILED')], NOW, GRACE_MS).ok,
    ).toBe(true);
  });
});

describe('checkBalancesSumToZero', () => {
  it('passes at zero per currency and flags a currency whose balances do not cancel out', () => {
    expect(checkBalancesSumToZero([{ currency: 'EUR', accountCount: 3, balanceSumMinor: '0' }]).ok).toBe(
      true,
    );
    const result = checkBalancesSumToZero([
      { currency: 'EUR', accountCount: 3, balanceSumMinor: '0' },
      { currency: 'USD', accountCount: 2, balanceSumMinor: '-1' },
    ]);
    expect(result.violations).toEqual(['USD: the balances of 2 accounts sum to -1, not 0']);
  });
});

describe('checkPostingsMatchTransfers', () => {
  it('passes for a balanced pair per COMPLETED transfer, none per FAILED one, none or a pair per PENDING one', () => {
    const completed = transfer('t-completed', 'COMPLETED');
    const postedPending = transfer('t-posted', 'PENDING');
    const transfers = [
      completed,
      transfer('t-failed', 'FAILED'),
      postedPending,
      transfer('t-new', 'PENDING'),
    ];
    const result = checkPostingsMatchTransfers(transfers, [...pairOf(completed), ...pairOf(postedPending)]);
    expect(result).toMatchObject({ ok: true, violationCount: 0 });
  });

  it('flags a missing side, a wrong account, a wrong amount, entries of a FAILED transfer and of unknown ones', () => {
    const missingCredit = transfer('t-missing', 'COMPLETED');
    const wrongAccount = transfer('t-account', 'COMPLETED');
    // 2^53 and 2^53 + 1: equal as floats, not as bigint.
    const wrongAmount = transfer('t-amount', 'COMPLETED', { amountMinor: '9007199254740992' });
    const failed = transfer('t-failed', 'FAILED');
    const [debitOnly] = pairOf(missingCredit);
    const [debit, credit] = pairOf(wrongAccount);
    const [amountDebit, amountCredit] = pairOf(wrongAmount);
    const entries: JournalEntryRow[] = [
      debitOnly!,
      debit!,
      { ...credit!, accountId: FROM },
      amountDebit!,
      { ...amountCredit!, amountMinor: '9007199254740993' },
      ...pairOf(failed),
      ...pairOf(transfer('t-unknown', 'COMPLETED')),
    ];
    const result = checkPostingsMatchTransfers([missingCredit, wrongAccount, wrongAmount, failed], entries);
    expect(result.violations).toEqual([
      expect.stringMatching(
        /t-missing COMPLETED: expected one DEBIT and one CREDIT, found 1 DEBIT and 0 CREDIT/,
      ),
      expect.stringMatching(/t-account COMPLETED: CREDIT #\d+ is on account .*, not the to account/),
      expect.stringMatching(
        /t-amount COMPLETED: CREDIT #\d+ is of 9007199254740993, the transfer of 9007199254740992/,
      ),
      expect.stringMatching(/t-failed FAILED \(INSUFFICIENT_FUNDS\) but has 2 journal entries/),
      expect.stringMatching(
        /2 journal entries .* belong to transfer t-unknown, which the transfer-service does not know/,
      ),
    ]);
  });

  it('flags half a posting on a PENDING transfer: the ledger writes both entries in one transaction', () => {
    const pending = transfer('t-half', 'PENDING');
    const result = checkPostingsMatchTransfers([pending], pairOf(pending).slice(0, 1));
    expect(result.violations).toEqual([
      expect.stringContaining('t-half PENDING: expected one DEBIT and one CREDIT'),
    ]);
  });
});

describe('checkBalancesMatchJournal', () => {
  const account = (overrides: Partial<AccountRow>): AccountRow => ({
    id: 'acc',
    currency: 'EUR',
    balanceMinor: '0',
    allowNegativeBalance: false,
    journalSumMinor: '0',
    ...overrides,
  });

  it('allows a treasury below zero and flags a mismatch (exactly, past 2^53) and a forbidden negative balance', () => {
    const result = checkBalancesMatchJournal([
      account({ id: 'treasury', balanceMinor: '-500', journalSumMinor: '-500', allowNegativeBalance: true }),
      account({ id: 'big', balanceMinor: '9007199254740993', journalSumMinor: '9007199254740992' }),
      account({ id: 'overdrawn', balanceMinor: '-1', journalSumMinor: '-1' }),
    ]);
    expect(result.violations).toEqual([
      'account big (EUR) has balance 9007199254740993, its journal sums to 9007199254740992 (credits minus debits)',
      'account overdrawn (EUR) has negative balance -1 but does not allow one',
    ]);
  });
});

describe('checkNotificationsMatchOutcomes', () => {
  it('passes for one matching notification per terminal transfer and none for a PENDING one', () => {
    const completed = transfer('t1', 'COMPLETED');
    const failed = transfer('t2', 'FAILED');
    const result = checkNotificationsMatchOutcomes(
      [completed, failed, transfer('t3', 'PENDING')],
      [notificationOf(completed), notificationOf(failed)],
      NOW,
      GRACE_MS,
    );
    expect(result.ok).toBe(true);
  });

  it('waits the grace for a fresh outcome, then flags it; flags wrong outcomes, PENDING and unknown transfers', () => {
    const justSettled = transfer('t-fresh', 'COMPLETED', { updatedAt: new Date(NOW.getTime() - 1_000) });
    const longSettled = transfer('t-old', 'FAILED');
    const misreported = transfer('t-wrong', 'COMPLETED');
    const wrongReason = transfer('t-reason', 'FAILED');
    const pending = transfer('t-pending', 'PENDING');
    const result = checkNotificationsMatchOutcomes(
      [justSettled, longSettled, misreported, wrongReason, pending],
      [
        notificationOf(misreported, { outcome: 'FAILED' }),
        notificationOf(wrongReason, { failureReason: 'ACCOUNT_NOT_FOUND' }),
        { id: 'n-pending', transferId: 't-pending', outcome: 'COMPLETED', failureReason: null },
        { id: 'n-ghost', transferId: 't-ghost', outcome: 'COMPLETED', failureReason: null },
      ],
      NOW,
      GRACE_MS,
    );
    expect(result.notes).toEqual([
      expect.stringContaining('t-fresh COMPLETED 1.0 s ago has no notification yet'),
    ]);
    expect(result.violations).toEqual([
      expect.stringMatching(/t-old FAILED 10 min 0 s ago has no notification, past the 60\.0 s grace/),
      'notification n-t-wrong says FAILED, transfer t-wrong is COMPLETED',
      'notification n-t-reason gives failure reason ACCOUNT_NOT_FOUND, transfer t-reason INSUFFICIENT_FUNDS',
      'transfer t-pending is PENDING but has 1 notifications (n-pending)',
      'notification n-ghost is for transfer t-ghost, which the transfer-service does not know',
    ]);
  });
});

describe('checkDeadLetters', () => {
  const counts = [
    { topic: 'ns.oncepay.transfer-requests.v1.dlt', exists: true, messages: 2n },
    { topic: 'ns.oncepay.ledger-results.v1.dlt', exists: true, messages: 0n },
    { topic: 'ns.oncepay.transfer-outcomes.v1.dlt', exists: false, messages: 0n },
  ];

  it('flags more dead letters than expected, naming the topics that hold them', () => {
    const result = checkDeadLetters(counts, 0);
    expect(result.violations).toEqual(['ns.oncepay.transfer-requests.v1.dlt holds 2 waiting messages']);
    expect(result.summary).toContain(
      'not created yet (counted as empty): ns.oncepay.transfer-outcomes.v1.dlt',
    );
    expect(checkDeadLetters(counts, 2).ok).toBe(true);
  });

  it('is skipped, not passed silently, without brokers', () => {
    expect(checkDeadLetters(undefined, 0)).toMatchObject({ ok: true, skipped: true });
  });
});

describe('the report', () => {
  const manyStuck = Array.from({ length: MAX_LISTED_LINES + 5 }, (_, i) =>
    transfer(`t-${i}`, 'PENDING', { createdAt: new Date(NOW.getTime() - 3_600_000) }),
  );
  const report: AuditReport = {
    ok: false,
    checkedAt: NOW.toISOString(),
    checks: [
      checkTransfersSettle(manyStuck, NOW, GRACE_MS),
      checkBalancesSumToZero([{ currency: 'EUR', accountCount: 2, balanceSumMinor: '0' }]),
      checkDeadLetters(undefined, 0),
    ],
    counts: {
      transfers: { PENDING: manyStuck.length, COMPLETED: 0, FAILED: 0 },
      accounts: 2,
      journalEntries: 0,
      notifications: 0,
      deadLetters: null,
    },
  };

  it('bounds the violations a check lists and counts the rest', () => {
    const [settle] = report.checks;
    expect(settle).toMatchObject({ ok: false, violationCount: MAX_LISTED_LINES + 5 });
    expect(settle!.violations).toHaveLength(MAX_LISTED_LINES);
  });

  it('prints one line per check with PASS, FAIL or SKIP, the violations indented under it, then the counts', () => {
    const lines = formatReport(report).split('\n');
    expect(lines[0]).toBe(`OncePay audit at ${NOW.toISOString()}: FAILED (1 of 3 checks)`);
    expect(lines[1]).toMatch(/^FAIL {2}transfers-settle +25 transfers/);
    expect(lines[2]).toMatch(/^ {8}✗ transfer t-0 PENDING for 60 min 0 s/);
    expect(lines[MAX_LISTED_LINES + 2]).toBe('        ✗ ... and 5 more violations');
    expect(lines[MAX_LISTED_LINES + 3]).toMatch(
      /^PASS {2}balances-sum-to-zero +sum of balances per currency: EUR 0/,
    );
    expect(lines[MAX_LISTED_LINES + 4]).toMatch(/^SKIP {2}dead-letters-expected +skipped/);
    expect(lines.at(-1)).toBe(
      'counts: 25 transfers (0 COMPLETED, 0 FAILED, 25 PENDING), 2 accounts, 0 journal entries, 0 notifications, dead letters not checked',
    );
  });

  it('prints the report itself as JSON with --json', () => {
    expect(JSON.parse(formatReportJson(report))).toEqual(report);
  });

  it('formats ages from milliseconds to days', () => {
    expect([850, 42_000, 303_000, 7_620_000, 273_600_000].map(formatDuration)).toEqual([
      '850 ms',
      '42.0 s',
      '5 min 3 s',
      '2 h 7 min',
      '3 d 4 h',
    ]);
  });
});

describe('parseCliOptions', () => {
  const defaults: AuditDefaults = {
    transferDatabaseUrl: 'postgresql://local/transfer',
    ledgerDatabaseUrl: 'postgresql://local/ledger',
    notificationDatabaseUrl: 'postgresql://local/notification',
    kafkaBrokers: ['127.0.0.1:9092'],
  };

  it('audits the local stack by default', () => {
    expect(parseCliOptions([], defaults)).toEqual({
      kind: 'audit',
      json: false,
      targets: { ...defaults, kafkaNamespace: '' },
    });
  });

  it('takes every target and threshold from flags', () => {
    const options = parseCliOptions(
      [
        '--transfer-db=postgresql://x/t',
        '--ledger-db',
        'postgresql://x/l',
        '--notification-db=postgresql://x/n',
        '--brokers=a:1, b:2',
        '--namespace=staging.',
        '--pending-grace-ms=0',
        '--expected-dead-letters=3',
        '--json',
      ],
      defaults,
    );
    expect(options).toEqual({
      kind: 'audit',
      json: true,
      targets: {
        transferDatabaseUrl: 'postgresql://x/t',
        ledgerDatabaseUrl: 'postgresql://x/l',
        notificationDatabaseUrl: 'postgresql://x/n',
        kafkaBrokers: ['a:1', 'b:2'],
        kafkaNamespace: 'staging.',
        pendingGraceMs: 0,
        expectedDeadLetters: 3,
      },
    });
    const withoutKafka = parseCliOptions(['--no-kafka'], defaults);
    expect(withoutKafka.kind === 'audit' && withoutKafka.targets.kafkaBrokers).toBe(undefined);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--pending-grace-ms=-1'], /--pending-grace-ms must be a non-negative integer/],
    [['--expected-dead-letters=1.5'], /--expected-dead-letters must be a non-negative integer/],
    [['--namespace=Staging'], /--namespace must be empty or lower-case/],
    [['--brokers='], /--brokers is empty/],
  ])('refuses %j as a usage error', (argv, message) => {
    const options = parseCliOptions(argv, defaults);
    expect(options.kind).toBe('usage-error');
    expect(options.kind === 'usage-error' && options.message).toMatch(message);
  });
});

describe('localStackDefaults', () => {
  it("reads the local stack's databases as the read-only role its migration step provisions", () => {
    const { rolePassword } = stackConfig.postgres;
    const byService = Object.fromEntries(
      SERVICES.map((service) => [service.name, postgresUrl(service.database, AUDITOR_ROLE, rolePassword)]),
    );
    expect(localStackDefaults({})).toEqual({
      transferDatabaseUrl: byService.transfer,
      ledgerDatabaseUrl: byService.ledger,
      notificationDatabaseUrl: byService.notification,
      kafkaBrokers: ['127.0.0.1:9092'],
      kafkaSecurity: {},
    });
  });

  it("takes Kafka TLS and SASL from the services' variables, with their rules", () => {
    expect(
      localStackDefaults({
        KAFKA_TLS: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'auditor',
        KAFKA_SASL_PASSWORD: 's3cret',
      }).kafkaSecurity,
    ).toEqual({ tls: {}, sasl: { mechanism: 'scram-sha-512', username: 'auditor', password: 's3cret' } });
    expect(() => localStackDefaults({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      'KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
    expect(() =>
      localStackDefaults({
        NODE_ENV: 'production',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'auditor',
        KAFKA_SASL_PASSWORD: 's3cret',
      }),
    ).toThrow(/plain sends the password in clear/);
  });
});
