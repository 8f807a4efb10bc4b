// Proves, from plain rows and without infrastructure, that each audit check flags exactly the faults
// it is meant to (amounts compared exactly, as bigint) when it sees the rows a few at a time, through
// the auditor's own merge of the tables, that the report is bounded and readable, and that the CLI's
// flags parse into the audit's targets.
import { MAX_LISTED_LINES, type CheckResult } from '../apps/auditor/src/check-result';
import type { AuditReport } from '../apps/auditor/src/auditor';
import {
  balancesMatchJournal,
  checkBalancesSumToZero,
  checkDeadLetters,
  decisionsMatchTransfers,
  emptyStatusCounts,
  formatDuration,
  notificationsMatchOutcomes,
  postingsMatchTransfers,
  transfersSettle,
  type TransferCheck,
} from '../apps/auditor/src/checks';
import {
  holdsEnd,
  holdsMatchTransfers,
  holdsSettleExactly,
  holdsWithinBalances,
} from '../apps/auditor/src/hold-checks';
import { refundPostingsWithinPayments, refundsWithinPayments } from '../apps/auditor/src/refund-checks';
import { parseCliOptions, type AuditDefaults } from '../apps/auditor/src/cli-options';
import { localStackDefaults } from '../apps/auditor/src/config/local-stack';
import { formatReport, formatReportJson } from '../apps/auditor/src/format-report';
import type {
  AccountRow,
  DecisionRow,
  HoldRow,
  JournalEntryRow,
  NotificationRow,
  PaymentRefundsRow,
  PostedRefundsRow,
  TransferRow,
  TransferStatus,
} from '../apps/auditor/src/snapshots';
import { storyPages } from '../apps/auditor/src/transfer-stories';
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
    holdExpiresAt: null,
    captureAmountMinor: null,
    refundOf: null,
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

function decisionOf(t: TransferRow, overrides: Partial<DecisionRow> = {}): DecisionRow {
  return {
    transferId: t.id,
    outcome: t.status === 'FAILED' ? 'REJECTED' : 'POSTED',
    reason: t.failureReason,
    decidedAt: new Date(t.updatedAt.getTime() - 1_000),
    refundOf: t.refundOf,
    ...overrides,
  };
}

interface Rows {
  transfers?: TransferRow[];
  entries?: JournalEntryRow[];
  decisions?: DecisionRow[];
  holds?: HoldRow[];
  notifications?: NotificationRow[];
}

/**
 * Runs a check the way the auditor does: over the pages of TransferStories its merge makes of `rows`
 * (each table sorted by transfer id, as the cursors read them), two rows a fetch and two transfer ids
 * a page, so every check here also proves it carries its state across pages.
 */
async function runCheck(check: TransferCheck, rows: Rows): Promise<CheckResult> {
  const pages = storyPages(
    {
      transfers: fetched(rows.transfers, (row) => row.id),
      entries: fetched(rows.entries, (row) => row.transferId),
      decisions: fetched(rows.decisions, (row) => row.transferId),
      holds: fetched(rows.holds, (row) => row.transferId),
      notifications: fetched(rows.notifications, (row) => row.transferId),
    },
    2,
  );
  for await (const page of pages) check.consume(page);
  return check.result();
}

async function* fetched<Row>(rows: Row[] = [], keyOf: (row: Row) => string): AsyncGenerator<Row[]> {
  const sorted = [...rows].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  for (let start = 0; start < sorted.length; start += 2) yield sorted.slice(start, start + 2);
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

describe('transfersSettle', () => {
  it('notes a PENDING transfer within the grace and flags one past it, with its age', async () => {
    const fresh = transfer('t-fresh', 'PENDING', { createdAt: new Date(NOW.getTime() - 5_000) });
    const stuck = transfer('t-stuck', 'PENDING', { createdAt: new Date(NOW.getTime() - 3 * 3_600_000) });
    const result = await runCheck(transfersSettle(NOW, GRACE_MS), {
      transfers: [transfer('t-done', 'COMPLETED'), fresh, stuck],
    });
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      expect.stringMatching(/t-stuck PENDING for 3 h 0 min .*past the 60\.0 s grace/),
    ]);
    expect(result.notes).toEqual([expect.stringMatching(/t-fresh PENDING for 5\.0 s .*within the grace/)]);
    expect(result.summary).toContain('3 transfers (1 COMPLETED, 0 FAILED, 2 PENDING)');
  });

  it('passes when every transfer is terminal', async () => {
    const transfers = [transfer('t1', 'COMPLETED'), transfer('t2', 'FAILED')];
    expect((await runCheck(transfersSettle(NOW, GRACE_MS), { transfers })).ok).toBe(true);
  });
});

describe('checkBalancesSumToZero', () => {
  it('passes at zero per currency and flags a currency whose balances do not cancel out', () => {
    const held = checkBalancesSumToZero([
      { currency: 'EUR', accountCount: 3, balanceSumMinor: '0', heldSumMinor: '700' },
    ]);
    // Held money is reserved, not moved: the posted balances still cancel out.
    expect(held).toMatchObject({
      ok: true,
      summary: 'sum of balances per currency: EUR 0 over 3 accounts (700 of it held)',
    });
    const result = checkBalancesSumToZero([
      { currency: 'EUR', accountCount: 3, balanceSumMinor: '0', heldSumMinor: '0' },
      { currency: 'USD', accountCount: 2, balanceSumMinor: '-1', heldSumMinor: '0' },
    ]);
    expect(result.violations).toEqual(['USD: the balances of 2 accounts sum to -1, not 0']);
  });
});

describe('postingsMatchTransfers', () => {
  it('passes for a balanced pair per COMPLETED transfer, none per FAILED one, none or a pair per PENDING one', async () => {
    const completed = transfer('t-completed', 'COMPLETED');
    const postedPending = transfer('t-posted', 'PENDING');
    const transfers = [
      completed,
      transfer('t-failed', 'FAILED'),
      postedPending,
      transfer('t-new', 'PENDING'),
    ];
    const result = await runCheck(postingsMatchTransfers(), {
      transfers,
      entries: [...pairOf(completed), ...pairOf(postedPending)],
    });
    expect(result).toMatchObject({ ok: true, violationCount: 0 });
  });

  it('flags a missing side, a wrong account, a wrong amount, entries of a FAILED transfer and of unknown ones', async () => {
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
    const result = await runCheck(postingsMatchTransfers(), {
      transfers: [missingCredit, wrongAccount, wrongAmount, failed],
      entries,
    });
    // In transfer id order: the order the auditor reads them in.
    expect(result.violations).toEqual([
      expect.stringMatching(/t-account COMPLETED: CREDIT #\d+ is on account .*, not the to account/),
      expect.stringMatching(
        /t-amount COMPLETED: CREDIT #\d+ is of 9007199254740993, the transfer of 9007199254740992/,
      ),
      expect.stringMatching(/t-failed FAILED \(INSUFFICIENT_FUNDS\) but has 2 journal entries/),
      expect.stringMatching(
        /t-missing COMPLETED: expected one DEBIT and one CREDIT, found 1 DEBIT and 0 CREDIT/,
      ),
      expect.stringMatching(
        /2 journal entries .* belong to transfer t-unknown, which the transfer-service does not know/,
      ),
    ]);
  });

  it('flags half a posting on a PENDING transfer: the ledger writes both entries in one transaction', async () => {
    const pending = transfer('t-half', 'PENDING');
    const result = await runCheck(postingsMatchTransfers(), {
      transfers: [pending],
      entries: pairOf(pending).slice(0, 1),
    });
    expect(result.violations).toEqual([
      expect.stringContaining('t-half PENDING: expected one DEBIT and one CREDIT'),
    ]);
  });
});

function account(overrides: Partial<AccountRow>): AccountRow {
  return {
    id: 'acc',
    currency: 'EUR',
    balanceMinor: '0',
    allowNegativeBalance: false,
    journalSumMinor: '0',
    journalCurrencyFirst: null,
    journalCurrencyLast: null,
    heldMinor: '0',
    activeHoldsSumMinor: '0',
    holdCurrencyFirst: null,
    holdCurrencyLast: null,
    ...overrides,
  };
}

describe('balancesMatchJournal', () => {
  it('allows a treasury below zero and flags a mismatch (exactly, past 2^53) and a forbidden negative balance', () => {
    const check = balancesMatchJournal();
    check.consume([
      account({ id: 'treasury', balanceMinor: '-500', journalSumMinor: '-500', allowNegativeBalance: true }),
      account({ id: 'big', balanceMinor: '9007199254740993', journalSumMinor: '9007199254740992' }),
    ]);
    check.consume([account({ id: 'overdrawn', balanceMinor: '-1', journalSumMinor: '-1' })]);
    const result = check.result();
    expect(result.summary).toBe('3 accounts (1 allowed a negative balance) against their journals');
    expect(result.violations).toEqual([
      'account big (EUR) has balance 9007199254740993, its journal sums to 9007199254740992 (credits minus debits)',
      'account overdrawn (EUR) has negative balance -1 but does not allow one',
    ]);
  });

  it('flags an account whose journal has an entry in another currency', () => {
    const check = balancesMatchJournal();
    const inEur = { journalCurrencyFirst: 'EUR', journalCurrencyLast: 'EUR' };
    check.consume([
      account({ id: 'fine', balanceMinor: '5', journalSumMinor: '5', ...inEur }),
      account({ id: 'mixed', journalCurrencyFirst: 'EUR', journalCurrencyLast: 'USD' }),
      account({ id: 'below', journalCurrencyFirst: 'CHF', journalCurrencyLast: 'EUR' }),
      account({ id: 'other', currency: 'USD', ...inEur }),
    ]);
    expect(check.result().violations).toEqual([
      'account mixed (EUR) has journal entries in another currency (from EUR to USD)',
      'account below (EUR) has journal entries in another currency (from CHF to EUR)',
      'account other (USD) has journal entries in another currency (from EUR to EUR)',
    ]);
  });
});

describe('notificationsMatchOutcomes', () => {
  it('passes for one matching notification per terminal transfer and none for a PENDING one', async () => {
    const completed = transfer('t1', 'COMPLETED');
    const failed = transfer('t2', 'FAILED');
    const result = await runCheck(notificationsMatchOutcomes(NOW, GRACE_MS), {
      transfers: [completed, failed, transfer('t3', 'PENDING')],
      notifications: [notificationOf(completed), notificationOf(failed)],
    });
    expect(result.ok).toBe(true);
  });

  it('waits the grace for a fresh outcome, then flags it; flags wrong outcomes, PENDING and unknown transfers', async () => {
    const justSettled = transfer('t-fresh', 'COMPLETED', { updatedAt: new Date(NOW.getTime() - 1_000) });
    const longSettled = transfer('t-old', 'FAILED');
    const misreported = transfer('t-wrong', 'COMPLETED');
    const wrongReason = transfer('t-reason', 'FAILED');
    const pending = transfer('t-pending', 'PENDING');
    const result = await runCheck(notificationsMatchOutcomes(NOW, GRACE_MS), {
      transfers: [justSettled, longSettled, misreported, wrongReason, pending],
      notifications: [
        notificationOf(misreported, { outcome: 'FAILED' }),
        notificationOf(wrongReason, { failureReason: 'ACCOUNT_NOT_FOUND' }),
        { id: 'n-pending', transferId: 't-pending', outcome: 'COMPLETED', failureReason: null },
        { id: 'n-ghost', transferId: 't-ghost', outcome: 'COMPLETED', failureReason: null },
      ],
    });
    expect(result.notes).toEqual([
      expect.stringContaining('t-fresh COMPLETED 1.0 s ago has no notification yet'),
    ]);
    expect(result.violations).toEqual([
      'notification n-ghost is for transfer t-ghost, which the transfer-service does not know',
      expect.stringMatching(/t-old FAILED 10 min 0 s ago has no notification, past the 60\.0 s grace/),
      'transfer t-pending is PENDING but has 1 notifications (n-pending)',
      'notification n-t-reason gives failure reason ACCOUNT_NOT_FOUND, transfer t-reason INSUFFICIENT_FUNDS',
      'notification n-t-wrong says FAILED, transfer t-wrong is COMPLETED',
    ]);
  });
});

describe('decisionsMatchTransfers', () => {
  it('passes for POSTED per COMPLETED, REJECTED with the reason per FAILED, none or a fresh one per PENDING', async () => {
    const completed = transfer('t-completed', 'COMPLETED');
    const failed = transfer('t-failed', 'FAILED');
    const answered = transfer('t-answered', 'PENDING');
    const result = await runCheck(decisionsMatchTransfers(NOW, GRACE_MS), {
      transfers: [completed, failed, answered, transfer('t-new', 'PENDING')],
      decisions: [
        decisionOf(completed),
        decisionOf(failed),
        decisionOf(answered, { outcome: 'POSTED', reason: null, decidedAt: new Date(NOW.getTime() - 2_000) }),
      ],
    });
    expect(result).toMatchObject({ ok: true, violationCount: 0 });
    expect(result.notes).toEqual([
      'transfer t-answered PENDING though the ledger decided POSTED 2.0 s ago: its answer is in flight',
    ]);
    expect(result.summary).toBe(
      '3 ledger decisions checked against 4 transfers; 0 decisions of unknown transfers',
    );
  });

  it('flags each disagreement with the transfer, a decision never applied and one of an unknown transfer', async () => {
    const undecided = transfer('t-a-undecided', 'COMPLETED');
    const rejected = transfer('t-b-rejected', 'COMPLETED');
    const posted = transfer('t-c-posted', 'FAILED');
    const otherReason = transfer('t-d-reason', 'FAILED');
    const unanswered = transfer('t-e-unanswered', 'PENDING');
    const lost = transfer('t-f-lost', 'FAILED', { failureReason: 'UNPROCESSABLE' });
    const result = await runCheck(decisionsMatchTransfers(NOW, GRACE_MS), {
      transfers: [undecided, rejected, posted, otherReason, unanswered, lost],
      decisions: [
        decisionOf(rejected, { outcome: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' }),
        decisionOf(posted, { outcome: 'POSTED', reason: null }),
        decisionOf(otherReason, { reason: 'ACCOUNT_NOT_FOUND' }),
        decisionOf(unanswered, { decidedAt: new Date(NOW.getTime() - 5 * 60_000) }),
        { transferId: 't-g-ghost', outcome: 'POSTED', reason: null, decidedAt: NOW, refundOf: null },
      ],
    });
    expect(result.violations).toEqual([
      'transfer t-a-undecided COMPLETED but the ledger has no decision',
      'transfer t-b-rejected COMPLETED but the ledger has REJECTED (INSUFFICIENT_FUNDS)',
      'transfer t-c-posted FAILED (INSUFFICIENT_FUNDS) but the ledger has POSTED',
      'transfer t-d-reason FAILED (INSUFFICIENT_FUNDS) but the ledger has REJECTED (ACCOUNT_NOT_FOUND)',
      'transfer t-e-unanswered PENDING though the ledger decided POSTED 5 min 0 s ago, past the 60.0 s grace',
      'transfer t-f-lost FAILED (UNPROCESSABLE) but the ledger has no decision',
      'the ledger decided POSTED for transfer t-g-ghost, which the transfer-service does not know',
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
  let report: AuditReport;

  beforeAll(async () => {
    report = {
      ok: false,
      checkedAt: NOW.toISOString(),
      checks: [
        await runCheck(transfersSettle(NOW, GRACE_MS), { transfers: manyStuck }),
        checkBalancesSumToZero([
          { currency: 'EUR', accountCount: 2, balanceSumMinor: '0', heldSumMinor: '0' },
        ]),
        checkDeadLetters(undefined, 0),
      ],
      counts: {
        transfers: { ...emptyStatusCounts(), PENDING: manyStuck.length },
        accounts: 2,
        journalEntries: 0,
        decisions: 0,
        holds: 0,
        notifications: 0,
        deadLetters: null,
      },
      resources: {
        elapsedMs: 1_500,
        cpuMs: 900,
        maxRssBytes: 90 * 1024 * 1024,
        peakHeapUsedBytes: 31457280,
        pageSize: 1000,
      },
    };
  });

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
    expect(lines[MAX_LISTED_LINES + 2]).toBe(
      `        ✗ ... and 5 more violations (only the first ${MAX_LISTED_LINES} are listed)`,
    );
    expect(lines[MAX_LISTED_LINES + 3]).toMatch(
      /^PASS {2}balances-sum-to-zero +sum of balances per currency: EUR 0/,
    );
    expect(lines[MAX_LISTED_LINES + 4]).toMatch(/^SKIP {2}dead-letters-expected +skipped/);
    expect(lines.at(-2)).toBe(
      'counts: 25 transfers (0 COMPLETED, 0 FAILED, 25 PENDING), 2 accounts, 0 journal entries, 0 ledger decisions, 0 holds, 0 notifications, dead letters not checked',
    );
    expect(lines.at(-1)).toBe(
      'audited in 1.5 s (900 ms of CPU), reading 1000 rows a page: peak RSS 90.0 MiB, peak heap 30.0 MiB',
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
        '--hold-grace-ms=1000',
        '--expected-dead-letters=3',
        '--page-size=500',
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
        holdGraceMs: 1000,
        expectedDeadLetters: 3,
        pageSize: 500,
      },
    });
    const withoutKafka = parseCliOptions(['--no-kafka'], defaults);
    expect(withoutKafka.kind === 'audit' && withoutKafka.targets.kafkaBrokers).toBe(undefined);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--pending-grace-ms=-1'], /--pending-grace-ms must be a non-negative integer/],
    [['--hold-grace-ms=5m'], /--hold-grace-ms must be a non-negative integer/],
    [['--expected-dead-letters=1.5'], /--expected-dead-letters must be a non-negative integer/],
    [['--page-size=0x10'], /--page-size must be a non-negative integer in decimal digits, got "0x10"/],
    [['--page-size=1e3'], /--page-size must be a non-negative integer in decimal digits/],
    [['--page-size=3000000000'], /--page-size must be from 1 to 2147483647/],
    [['--namespace=Staging'], /--namespace must be empty or lower-case/],
    [['--brokers='], /--brokers is empty/],
    [['--page-size=0'], /--page-size must be from 1 to 2147483647/],
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

// Holds and refunds: a hold is a transfer with an expiry; its ledger side is a `holds` row.
const PAYER = FROM;
const PAYEE = TO;
const IN_AN_HOUR = new Date(NOW.getTime() + 3_600_000);
const HOLD_GRACE_MS = 5 * 60_000;

function holdTransfer(id: string, status: TransferStatus, overrides: Partial<TransferRow> = {}): TransferRow {
  return transfer(id, status, {
    holdExpiresAt: IN_AN_HOUR,
    captureAmountMinor: status === 'CAPTURING' || status === 'CAPTURED' ? '1000' : null,
    ...overrides,
  });
}

/** The ledger's hold of `t` as the ledger leaves it when the transfer is in `t.status`. */
function holdOf(t: TransferRow, overrides: Partial<HoldRow> = {}): HoldRow {
  const ended: Partial<HoldRow> =
    t.status === 'CAPTURED'
      ? { status: 'CAPTURED', capturedMinor: t.captureAmountMinor, settledAt: t.updatedAt }
      : t.status === 'VOIDED'
        ? { status: 'RELEASED', release: 'VOID', settledAt: t.updatedAt }
        : t.status === 'EXPIRED'
          ? { status: 'RELEASED', release: 'EXPIRY', settledAt: t.updatedAt }
          : {};
  return {
    transferId: t.id,
    accountId: t.fromAccountId,
    toAccountId: t.toAccountId,
    amountMinor: t.amountMinor,
    currency: t.currency,
    status: 'ACTIVE',
    expiresAt: t.holdExpiresAt ?? IN_AN_HOUR,
    capturedMinor: null,
    release: null,
    placedAt: t.createdAt,
    settledAt: null,
    ...ended,
    ...overrides,
  };
}

const heldDecisionOf = (t: TransferRow): DecisionRow => decisionOf(t, { outcome: 'HELD', reason: null });

/** A hold of every status, with the ledger rows a correct book has for each. */
function aCorrectBookOfHolds(): Required<Rows> {
  const held = holdTransfer('h-held', 'HELD');
  const capturing = holdTransfer('h-capturing', 'CAPTURING', { updatedAt: new Date(NOW.getTime() - 2_000) });
  const captured = holdTransfer('h-captured', 'CAPTURED');
  const voided = holdTransfer('h-voided', 'VOIDED');
  const expired = holdTransfer('h-expired', 'EXPIRED', { holdExpiresAt: new Date(NOW.getTime() - 60_000) });
  const refused = holdTransfer('h-refused', 'FAILED');
  const placed = [held, capturing, captured, voided, expired];
  return {
    transfers: [...placed, refused],
    entries: pairOf({ ...captured, amountMinor: '1000' }),
    decisions: [...placed.map(heldDecisionOf), decisionOf(refused)],
    holds: placed.map((t) => holdOf(t)),
    notifications: [captured, voided, expired, refused].map((t) => notificationOf(t)),
  };
}

describe('the checks over a correct book of holds', () => {
  it.each([
    ['postings', () => postingsMatchTransfers()],
    ['decisions', () => decisionsMatchTransfers(NOW, GRACE_MS)],
    ['notifications', () => notificationsMatchOutcomes(NOW, GRACE_MS)],
    ['holds settle', () => holdsSettleExactly()],
    ['holds match', () => holdsMatchTransfers(NOW, GRACE_MS)],
    ['holds end', () => holdsEnd(NOW, HOLD_GRACE_MS)],
  ])('%s: pass', async (_, check) => {
    const result = await runCheck(check(), aCorrectBookOfHolds());
    expect(result.violations).toEqual([]);
  });

  it('counts the hold statuses it saw', async () => {
    const result = await runCheck(transfersSettle(NOW, GRACE_MS), aCorrectBookOfHolds());
    expect(result.summary).toContain(
      '6 transfers (0 COMPLETED, 1 FAILED, 0 PENDING, 1 HELD, 1 CAPTURING, 1 CAPTURED, 1 VOIDED, 1 EXPIRED)',
    );
  });
});

describe('holdsWithinBalances', () => {
  it('passes held money within the balance, and a treasury holding below zero', () => {
    const check = holdsWithinBalances();
    check.consume([
      account({ id: 'a', balanceMinor: '700', heldMinor: '700', activeHoldsSumMinor: '700' }),
      account({
        id: 'treasury',
        balanceMinor: '-500',
        heldMinor: '100',
        activeHoldsSumMinor: '100',
        allowNegativeBalance: true,
      }),
    ]);
    expect(check.result()).toMatchObject({ ok: true, summary: expect.stringContaining('2 holding money') });
  });

  it('flags holds making an available balance negative, a held amount off its holds, and one below zero', () => {
    const check = holdsWithinBalances();
    check.consume([
      account({ id: 'over', balanceMinor: '700', heldMinor: '701', activeHoldsSumMinor: '701' }),
      // 2^53 + 1 against 2^53: equal as floats, not as bigint.
      account({
        id: 'drift',
        balanceMinor: '9007199254740993',
        heldMinor: '9007199254740993',
        activeHoldsSumMinor: '9007199254740992',
      }),
    ]);
    check.consume([account({ id: 'negative', heldMinor: '-1', activeHoldsSumMinor: '0' })]);
    // A negative balance with nothing held is balances-match-journal's.
    check.consume([account({ id: 'overdrawn', balanceMinor: '-1' })]);
    expect(check.result().violations).toEqual([
      'account over (EUR) has available balance -1 (balance 700, held 701) but does not allow a negative one',
      'account drift (EUR) holds 9007199254740993, its ACTIVE holds sum to 9007199254740992',
      'account negative (EUR) holds -1, below zero',
      'account negative (EUR) holds -1, its ACTIVE holds sum to 0',
    ]);
  });

  it('flags an account that placed a hold in another currency, ended or not', () => {
    const check = holdsWithinBalances();
    check.consume([
      account({ id: 'fine', holdCurrencyFirst: 'EUR', holdCurrencyLast: 'EUR' }),
      // Voided long ago: nothing held now, nothing posted, so only this check can see it.
      account({ id: 'voided', holdCurrencyFirst: 'EUR', holdCurrencyLast: 'USD' }),
    ]);
    expect(check.result().violations).toEqual([
      'account voided (EUR) has holds in another currency (from EUR to USD)',
    ]);
  });
});

describe('holdsSettleExactly', () => {
  it('flags a capture posted off its amount or accounts, postings of an ACTIVE or RELEASED hold, and HELD without a hold', async () => {
    const offAmount = holdTransfer('h-a-amount', 'CAPTURED');
    const offAccount = holdTransfer('h-b-account', 'CAPTURED');
    const halfPosted = holdTransfer('h-c-half', 'CAPTURED');
    const active = holdTransfer('h-d-active', 'HELD');
    const released = holdTransfer('h-e-released', 'VOIDED');
    const noHold = holdTransfer('h-f-nohold', 'HELD');
    const noDecision = holdTransfer('h-g-nodecision', 'HELD');
    const [debit, credit] = pairOf({ ...offAmount, amountMinor: '1000' });
    const [accountDebit, accountCredit] = pairOf({ ...offAccount, amountMinor: '1000' });
    const result = await runCheck(holdsSettleExactly(), {
      transfers: [offAmount, offAccount, halfPosted, active, released, noHold, noDecision],
      entries: [
        debit!,
        { ...credit!, amountMinor: '2500' },
        accountDebit!,
        { ...accountCredit!, accountId: PAYER },
        pairOf({ ...halfPosted, amountMinor: '1000' })[0]!,
        ...pairOf(active),
        ...pairOf(released),
      ],
      decisions: [offAmount, offAccount, halfPosted, active, released, noHold].map(heldDecisionOf),
      holds: [offAmount, offAccount, halfPosted, active, released, noDecision].map((t) => holdOf(t)),
    });
    expect(result.violations).toEqual([
      expect.stringMatching(/^hold h-a-amount CAPTURED: CREDIT #\d+ is of 2500, the capture of 1000$/),
      expect.stringMatching(
        /^hold h-b-account CAPTURED: CREDIT #\d+ is on account .*, not the hold's payee$/,
      ),
      expect.stringMatching(
        /^hold h-c-half CAPTURED: expected one DEBIT and one CREDIT, found 1 DEBIT and 0 CREDIT/,
      ),
      expect.stringMatching(/^hold h-d-active ACTIVE posted nothing, yet has 2 journal entries/),
      expect.stringMatching(/^hold h-e-released RELEASED posted nothing, yet has 2 journal entries/),
      'the ledger decided HELD for transfer h-f-nohold but holds nothing for it',
      'hold h-g-nodecision ACTIVE without a HELD decision (the ledger has none)',
    ]);
  });
});

describe('holdsMatchTransfers', () => {
  it('allows the ledger one step behind a hold under way, and notes a hold missing for a moment', async () => {
    const capturing = holdTransfer('h-capturing', 'CAPTURING');
    const voiding = holdTransfer('h-voiding', 'VOIDING');
    const expiring = holdTransfer('h-expiring', 'EXPIRING');
    const capturingDone = holdTransfer('h-capturing-done', 'CAPTURING');
    const pending = holdTransfer('h-pending', 'PENDING');
    const justHeld = holdTransfer('h-just-held', 'HELD', { updatedAt: new Date(NOW.getTime() - 1_000) });
    const result = await runCheck(holdsMatchTransfers(NOW, GRACE_MS), {
      transfers: [capturing, voiding, expiring, capturingDone, pending, justHeld],
      holds: [
        holdOf(capturing),
        holdOf(voiding),
        holdOf(expiring),
        holdOf(capturingDone, { status: 'CAPTURED', capturedMinor: '1000', settledAt: NOW }),
        holdOf(pending),
      ],
    });
    expect(result.violations).toEqual([]);
    expect(result.notes).toEqual([
      'hold h-just-held HELD but the ledger has no hold in its snapshot yet: placed a moment ago',
    ]);
  });

  it('flags every disagreement: another end, another amount or fact, a hold never placed, holds of payments and of unknown transfers', async () => {
    const capturedOther = holdTransfer('h-a', 'CAPTURED');
    const voidedExpired = holdTransfer('h-b', 'VOIDED');
    const expiredActive = holdTransfer('h-c', 'EXPIRED');
    const heldEnded = holdTransfer('h-d', 'HELD');
    const heldMissing = holdTransfer('h-e', 'HELD');
    const otherFacts = holdTransfer('h-f', 'HELD');
    const failedPlaced = holdTransfer('h-g', 'FAILED');
    const payment = transfer('h-h', 'COMPLETED');
    const result = await runCheck(holdsMatchTransfers(NOW, GRACE_MS), {
      transfers: [
        capturedOther,
        voidedExpired,
        expiredActive,
        heldEnded,
        heldMissing,
        otherFacts,
        failedPlaced,
        payment,
      ],
      holds: [
        holdOf(capturedOther, { capturedMinor: '999' }),
        holdOf(voidedExpired, { release: 'EXPIRY' }),
        holdOf(expiredActive, { status: 'ACTIVE', release: null, settledAt: null }),
        holdOf(heldEnded, { status: 'RELEASED', release: 'VOID', settledAt: NOW }),
        holdOf(otherFacts, { amountMinor: '2501', toAccountId: PAYER }),
        holdOf(failedPlaced),
        holdOf(payment),
        holdOf(transfer('h-i-ghost', 'HELD')),
      ],
    });
    expect(result.violations).toEqual([
      'hold h-a CAPTURED 1000 but the ledger has it CAPTURED 999',
      'hold h-b VOIDED but the ledger has it RELEASED by EXPIRY',
      'hold h-c EXPIRED but the ledger has it ACTIVE',
      'hold h-d HELD but the ledger has it RELEASED by VOID',
      'hold h-e HELD but the ledger has no hold, 10 min 0 s after the transfer changed status',
      `hold h-f: the ledger's payee is ${PAYER}, the transfer's ${PAYEE}; amount is 2501, the transfer's 2500`,
      'hold h-g FAILED but the ledger has it ACTIVE',
      'transfer h-h COMPLETED is no hold, yet the ledger holds 2500 EUR (ACTIVE) for it',
      'the ledger holds 2500 EUR (ACTIVE) for transfer h-i-ghost, which the transfer-service does not know',
    ]);
  });
});

describe('holdsEnd', () => {
  const expiredAgo = (ms: number) => new Date(NOW.getTime() - ms);

  it('notes a hold past its expiry within the grace, and passes one ended or not yet expired', async () => {
    const justExpired = holdTransfer('h-just', 'HELD', { holdExpiresAt: expiredAgo(30_000) });
    const result = await runCheck(holdsEnd(NOW, HOLD_GRACE_MS), {
      transfers: [
        justExpired,
        holdTransfer('h-live', 'HELD'),
        holdTransfer('h-gone', 'EXPIRED', { holdExpiresAt: expiredAgo(3_600_000) }),
      ],
      holds: [holdOf(justExpired), holdOf(holdTransfer('h-live', 'HELD'))],
    });
    expect(result.violations).toEqual([]);
    expect(result.notes).toEqual([
      "hold h-just: the transfer is HELD 30.0 s after its expiry; the ledger's hold is ACTIVE 30.0 s after its expiry, within the grace",
    ]);
  });

  it('flags a hold still HELD past expiry and grace, one stuck ending, and a ledger hold ACTIVE past expiry', async () => {
    const forgotten = holdTransfer('h-a-forgotten', 'HELD', { holdExpiresAt: expiredAgo(2 * 3_600_000) });
    const stuckCapture = holdTransfer('h-b-capturing', 'CAPTURING', { updatedAt: expiredAgo(20 * 60_000) });
    const leftActive = holdTransfer('h-c-voided', 'VOIDED', { holdExpiresAt: expiredAgo(3_600_000) });
    const result = await runCheck(holdsEnd(NOW, HOLD_GRACE_MS), {
      transfers: [forgotten, stuckCapture, leftActive],
      holds: [
        holdOf(forgotten),
        holdOf(stuckCapture),
        holdOf(leftActive, { status: 'ACTIVE', release: null, settledAt: null }),
      ],
    });
    expect(result.violations).toEqual([
      "hold h-a-forgotten: the transfer is HELD 2 h 0 min after its expiry; the ledger's hold is ACTIVE 2 h 0 min after its expiry, past the 5 min 0 s grace",
      'hold h-b-capturing: the transfer has been CAPTURING for 20 min 0 s, past the 5 min 0 s grace',
      "hold h-c-voided (VOIDED): the ledger's hold is ACTIVE 60 min 0 s after its expiry, past the 5 min 0 s grace",
    ]);
  });
});

describe('the other checks learn holds and refunds', () => {
  it('postings: a CAPTURED hold posts its capture, not its amount; a hold not captured posts nothing', async () => {
    const captured = holdTransfer('h-a-captured', 'CAPTURED');
    const held = holdTransfer('h-b-held', 'HELD');
    const result = await runCheck(postingsMatchTransfers(), {
      transfers: [captured, held],
      entries: [...pairOf(captured), ...pairOf(held)],
    });
    expect(result.violations).toEqual([
      expect.stringMatching(
        /^transfer h-a-captured CAPTURED: DEBIT #\d+ is of 2500, the capture of 1000; CREDIT/,
      ),
      expect.stringMatching(/^transfer h-b-held HELD, a hold not captured, but has 2 journal entries/),
    ]);
  });

  it('decisions: a placed hold has a HELD decision, a PENDING one no POSTED, a refund names its payment', async () => {
    const captured = holdTransfer('h-a', 'CAPTURED');
    const pending = holdTransfer('h-b', 'PENDING');
    const refund = transfer('r-c', 'COMPLETED', { refundOf: 'p-1' });
    const result = await runCheck(decisionsMatchTransfers(NOW, GRACE_MS), {
      transfers: [captured, pending, refund],
      decisions: [
        decisionOf(captured, { outcome: 'POSTED' }),
        decisionOf(pending, { outcome: 'POSTED', decidedAt: NOW }),
        decisionOf(refund, { refundOf: 'p-2' }),
      ],
    });
    expect(result.violations).toEqual([
      'transfer h-a CAPTURED but the ledger has POSTED',
      'transfer h-b PENDING, a hold, but the ledger decided POSTED',
      'transfer r-c refunds p-1 but the ledger decided it as a refund of p-2',
    ]);
  });

  it('notifications: a hold under way has none, an ended one one of its final status', async () => {
    const held = holdTransfer('h-a', 'HELD');
    const voided = holdTransfer('h-b', 'VOIDED');
    const result = await runCheck(notificationsMatchOutcomes(NOW, GRACE_MS), {
      transfers: [held, voided],
      notifications: [
        { id: 'n-h-a', transferId: 'h-a', outcome: 'COMPLETED', failureReason: null },
        notificationOf(voided, { outcome: 'EXPIRED' }),
      ],
    });
    expect(result.violations).toEqual([
      'transfer h-a is HELD but has 1 notifications (n-h-a)',
      'notification n-h-b says EXPIRED, transfer h-b is VOIDED',
    ]);
  });
});

describe('refundsWithinPayments', () => {
  const row = (overrides: Partial<PaymentRefundsRow>): PaymentRefundsRow => ({
    paymentId: 'p',
    paymentStatus: 'COMPLETED',
    paymentIsHold: false,
    paymentIsRefund: false,
    paymentAmountMinor: '2500',
    paymentCaptureAmountMinor: null,
    refunds: 2,
    completedMinor: '2500',
    acceptedMinor: '2500',
    unreversed: [],
    unreversedCount: 0,
    ...overrides,
  });

  it('passes refunds up to a payment or a captured hold', () => {
    const check = refundsWithinPayments();
    check.consume([
      row({ paymentId: 'p-1' }),
      row({
        paymentId: 'p-2',
        paymentIsHold: true,
        paymentStatus: 'CAPTURED',
        paymentCaptureAmountMinor: '1000',
        completedMinor: '600',
        acceptedMinor: '1000',
      }),
    ]);
    expect(check.result()).toMatchObject({ ok: true, summary: '4 refunds of 2 payments' });
  });

  it('flags refunds past what was paid, refunds of what is not refundable, and refunds that do not reverse', () => {
    const check = refundsWithinPayments();
    check.consume([
      row({ paymentId: 'p-a', completedMinor: '2501', acceptedMinor: '2501' }),
      // A hold refunds its capture, not its amount.
      row({
        paymentId: 'p-b',
        paymentIsHold: true,
        paymentStatus: 'CAPTURED',
        paymentCaptureAmountMinor: '1000',
        completedMinor: '1001',
        acceptedMinor: '1001',
      }),
      row({ paymentId: 'p-c', completedMinor: '2000', acceptedMinor: '2600' }),
      row({ paymentId: 'p-d', paymentStatus: 'FAILED' }),
      row({ paymentId: 'p-e', paymentIsHold: true, paymentStatus: 'VOIDED' }),
      row({ paymentId: 'p-f', paymentIsRefund: true }),
      row({ paymentId: 'p-g', unreversed: ['r-1', 'r-2'], unreversedCount: 7 }),
    ]);
    expect(check.result().violations).toEqual([
      'payment p-a COMPLETED paid 2500, its COMPLETED refunds sum to 2501',
      'hold p-b CAPTURED paid 1000, its COMPLETED refunds sum to 1001',
      'payment p-c COMPLETED paid 2500, its PENDING and COMPLETED refunds sum to 2600',
      'payment p-d FAILED has 2 refunds, but only a COMPLETED payment or a CAPTURED hold may be refunded',
      'hold p-e VOIDED has 2 refunds, but only a COMPLETED payment or a CAPTURED hold may be refunded',
      'refund p-f COMPLETED has 2 refunds, but only a COMPLETED payment or a CAPTURED hold may be refunded',
      "payment p-g COMPLETED: 7 refunds do not pay back its payee's money to its payer in its currency (r-1, r-2 and 5 more)",
    ]);
  });
});

describe('refundPostingsWithinPayments', () => {
  const row = (overrides: Partial<PostedRefundsRow>): PostedRefundsRow => ({
    paymentId: 'p',
    paymentDebitMinor: '2500',
    refunds: 1,
    refundedMinor: '2500',
    unreversed: [],
    unreversedCount: 0,
    ...overrides,
  });

  it('passes posted refunds up to the payment’s DEBIT, and flags more, refunds of nothing posted and ones not reversing', () => {
    const check = refundPostingsWithinPayments();
    check.consume([row({ paymentId: 'p-ok' })]);
    expect(check.result().ok).toBe(true);
    check.consume([
      row({
        paymentId: 'p-a',
        refunds: 2,
        refundedMinor: '9007199254740993',
        paymentDebitMinor: '9007199254740992',
      }),
      row({ paymentId: 'p-b', paymentDebitMinor: null }),
      row({ paymentId: 'p-c', unreversed: ['r-1'], unreversedCount: 1 }),
    ]);
    expect(check.result().violations).toEqual([
      'transfer p-a debited 9007199254740992, the ledger posted 2 refunds of it debiting 9007199254740993',
      'the ledger posted 1 refunds of 2500 of transfer p-b, which it never posted',
      "transfer p-c: 1 posted refunds do not reverse its entries' accounts and currency (r-1)",
    ]);
  });
});
