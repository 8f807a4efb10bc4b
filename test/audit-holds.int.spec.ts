// Proves the auditor's checks of holds and refunds on real, migrated databases read as the auditor's
// read-only role: a book written by SQL the way the services leave it (payments, a refund of each kind,
// a hold in every end state and one still HELD) passes every check, and each fault planted by SQL, past
// the schemas' own triggers where they would refuse it, is reported by the checks meant to catch it
// and by no other; undone, the audit is clean again. The CLI's --hold-grace-ms reaches the check.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { auditOncePay, CHECK_NAMES, type AuditReport, type AuditTargets } from '../apps/auditor/src/auditor';

type ServiceName = 'transfer' | 'ledger' | 'notification';
type Row = Record<string, unknown>;

const REPO_ROOT = path.join(__dirname, '..');
const HOUR_MS = 3_600_000;

describe('the auditor over holds and refunds', () => {
  const databases = {} as Record<ServiceName, TestDatabase>;
  let targets: AuditTargets;

  const accounts = { treasury: randomUUID(), alice: randomUUID(), bob: randomUUID() };
  /** Payments, refunds and holds, alice paying bob; their amounts are in `book` below. */
  const ids = {
    funding: randomUUID(),
    payment: randomUUID(),
    paymentRefund: randomUUID(),
    held: randomUUID(),
    captured: randomUUID(),
    captureRefund: randomUUID(),
    voided: randomUUID(),
    expired: randomUUID(),
  };

  beforeAll(async () => {
    for (const service of ['transfer', 'ledger', 'notification'] as const)
      databases[service] = await createTestDatabase(service);
    targets = {
      transferDatabaseUrl: databases.transfer.auditorUrl,
      ledgerDatabaseUrl: databases.ledger.auditorUrl,
      notificationDatabaseUrl: databases.notification.auditorUrl,
    };
    await writeTheBook();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(databases).map((database) => database.drop()));
  });

  /**
   * What the services leave behind (treasury -10000, alice 7000 with 2000 held, bob 3000):
   * - funding 10000 treasury -> alice, payment 3000 alice -> bob, both COMPLETED;
   * - a refund of 1000 of the payment, bob -> alice, COMPLETED;
   * - a hold of 2000 still HELD (expires in an hour): ACTIVE in the ledger, alice's held_minor;
   * - a hold of 1500 CAPTURED for 1200 (posted), refunded 200;
   * - a hold of 500 VOIDED and one of 700 EXPIRED an hour ago: RELEASED, nothing posted;
   * - one notification per final word.
   */
  async function writeTheBook(): Promise<void> {
    const at = new Date(Date.now() - 2 * HOUR_MS);
    const inAnHour = new Date(Date.now() + HOUR_MS);
    const anHourAgo = new Date(Date.now() - HOUR_MS);
    const { treasury, alice, bob } = accounts;
    const transfers: Row[] = [
      transferRow(ids.funding, treasury, alice, 10_000n, 'COMPLETED', at),
      transferRow(ids.payment, alice, bob, 3_000n, 'COMPLETED', at),
      transferRow(ids.paymentRefund, bob, alice, 1_000n, 'COMPLETED', at, { refund_of: ids.payment }),
      transferRow(ids.held, alice, bob, 2_000n, 'HELD', at, { hold_expires_at: inAnHour }),
      transferRow(ids.captured, alice, bob, 1_500n, 'CAPTURED', at, {
        hold_expires_at: inAnHour,
        capture_amount_minor: 1_200n,
      }),
      transferRow(ids.captureRefund, bob, alice, 200n, 'COMPLETED', at, { refund_of: ids.captured }),
      transferRow(ids.voided, alice, bob, 500n, 'VOIDED', at, { hold_expires_at: inAnHour }),
      transferRow(ids.expired, alice, bob, 700n, 'EXPIRED', at, { hold_expires_at: anHourAgo }),
    ];
    // A refund names its payment (a foreign key): the payments go first, as they appear above.
    await insertRows(databases.transfer.adminUrl, 'transfers', transfers);

    await insertRows(databases.ledger.adminUrl, 'accounts', [
      accountRow(treasury, -10_000n, 0n, true),
      accountRow(alice, 7_000n, 2_000n),
      accountRow(bob, 3_000n, 0n),
    ]);
    const posted: [string, string, string, bigint][] = [
      [ids.funding, treasury, alice, 10_000n],
      [ids.payment, alice, bob, 3_000n],
      [ids.paymentRefund, bob, alice, 1_000n],
      [ids.captured, alice, bob, 1_200n],
      [ids.captureRefund, bob, alice, 200n],
    ];
    await insertRows(
      databases.ledger.adminUrl,
      'journal_entries',
      posted.flatMap(([transferId, from, to, amount]) => [
        entryRow(transferId, from, 'DEBIT', amount, at),
        entryRow(transferId, to, 'CREDIT', amount, at),
      ]),
    );
    await insertRows(databases.ledger.adminUrl, 'ledger_decisions', [
      decisionRow(ids.funding, 'POSTED', at),
      decisionRow(ids.payment, 'POSTED', at),
      decisionRow(ids.paymentRefund, 'POSTED', at, ids.payment),
      decisionRow(ids.captureRefund, 'POSTED', at, ids.captured),
      ...[ids.held, ids.captured, ids.voided, ids.expired].map((id) => decisionRow(id, 'HELD', at)),
    ]);
    await insertRows(databases.ledger.adminUrl, 'holds', [
      holdRow(ids.held, [alice, bob], 2_000n, inAnHour, at, {}),
      holdRow(ids.captured, [alice, bob], 1_500n, inAnHour, at, {
        status: 'CAPTURED',
        captured_minor: 1_200n,
        settled_at: at,
      }),
      holdRow(ids.voided, [alice, bob], 500n, inAnHour, at, {
        status: 'RELEASED',
        release: 'VOID',
        settled_at: at,
      }),
      holdRow(ids.expired, [alice, bob], 700n, anHourAgo, at, {
        status: 'RELEASED',
        release: 'EXPIRY',
        settled_at: anHourAgo,
      }),
    ]);

    // The notification-service's outcomes of a hold (its own migration adds them with its webhooks).
    for (const outcome of ['CAPTURED', 'VOIDED', 'EXPIRED'])
      await sql(
        databases.notification.adminUrl,
        `ALTER TYPE transfer_outcome ADD VALUE IF NOT EXISTS '${outcome}'`,
      );
    await insertRows(
      databases.notification.adminUrl,
      'notifications',
      transfers
        .filter((transfer) => transfer.status !== 'HELD')
        .map((transfer) => ({
          id: randomUUID(),
          transfer_id: transfer.id,
          client_id: 'client-a',
          outcome: transfer.status,
          event_id: randomUUID(),
          payload: '{}',
          status: 'DELIVERED',
        })),
    );
  }

  function audit(overrides: Partial<AuditTargets> = {}): Promise<AuditReport> {
    return auditOncePay({ ...targets, ...overrides });
  }

  const failingChecks = (report: AuditReport) =>
    report.checks.filter((check) => !check.ok).map((check) => check.name);

  function checkOf(report: AuditReport, name: string) {
    const check = report.checks.find((candidate) => candidate.name === name);
    if (!check) throw new Error(`no check ${name} in the report`);
    return check;
  }

  /** Injects a fault, runs the assertions, undoes it, and proves the undo left a clean audit. */
  async function withFault(inject: () => Promise<() => Promise<void>>, assertions: () => Promise<void>) {
    const undo = await inject();
    try {
      await assertions();
    } finally {
      await undo();
    }
    expect(failingChecks(await audit())).toEqual([]);
  }

  it('passes every check on the book, having read every hold and refund', async () => {
    const report = await audit();
    expect(failingChecks(report)).toEqual([]);
    expect(report.counts).toMatchObject({
      transfers: { COMPLETED: 4, HELD: 1, CAPTURED: 1, VOIDED: 1, EXPIRED: 1, PENDING: 0, FAILED: 0 },
      accounts: 3,
      journalEntries: 10,
      decisions: 8,
      holds: 4,
      notifications: 7,
    });
    expect(checkOf(report, CHECK_NAMES.holdsSettleExactly).summary).toBe(
      '4 holds (1 ACTIVE, 1 CAPTURED, 2 RELEASED) against 4 HELD decisions and their postings',
    );
    expect(checkOf(report, CHECK_NAMES.holdsWithinBalances).summary).toContain('1 holding money');
    expect(checkOf(report, CHECK_NAMES.refundsWithinPayments).summary).toBe('2 refunds of 2 payments');
    expect(checkOf(report, CHECK_NAMES.refundPostingsWithinPayments).summary).toBe(
      "2 posted refunds of 2 payments against the payments' postings",
    );
    // Held money is reserved, not moved: the posted balances still sum to zero.
    expect(checkOf(report, CHECK_NAMES.balancesSumToZero).summary).toBe(
      'sum of balances per currency: EUR 0 over 3 accounts (2000 of it held)',
    );
  });

  it('reports a held amount its holds do not explain, and holds that overdraw the available balance', async () => {
    await withFault(
      async () => {
        // Past the accounts' money rule, which refuses an available balance below zero.
        await sql(
          databases.ledger.adminUrl,
          `UPDATE accounts SET held_minor = 7001 WHERE id = $1`,
          [accounts.alice],
          {
            skipTriggers: true,
          },
        );
        return () =>
          sql(databases.ledger.adminUrl, `UPDATE accounts SET held_minor = 2000 WHERE id = $1`, [
            accounts.alice,
          ]).then(() => undefined);
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.holdsWithinBalances]);
        expect(checkOf(report, CHECK_NAMES.holdsWithinBalances).violations).toEqual([
          `account ${accounts.alice} (EUR) holds 7001, its ACTIVE holds sum to 2000`,
          `account ${accounts.alice} (EUR) has available balance -1 (balance 7000, held 7001) but does not allow a negative one`,
        ]);
      },
    );
  });

  it('reports a capture the ledger recorded off what it posted and off what the client captured', async () => {
    await withFault(
      async () => {
        await setHold(ids.captured, `captured_minor = 1300`);
        return () => setHold(ids.captured, `captured_minor = 1200`);
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([
          CHECK_NAMES.holdsSettleExactly,
          CHECK_NAMES.holdsMatchTransfers,
        ]);
        expect(checkOf(report, CHECK_NAMES.holdsSettleExactly).violations).toEqual([
          expect.stringMatching(
            new RegExp(
              `^hold ${ids.captured} CAPTURED: CREDIT #\\d+ is of 1200, the capture of 1300; DEBIT #\\d+ is of 1200, the capture of 1300$`,
            ),
          ),
        ]);
        expect(checkOf(report, CHECK_NAMES.holdsMatchTransfers).violations).toEqual([
          `hold ${ids.captured} CAPTURED 1200 but the ledger has it CAPTURED 1300`,
        ]);
      },
    );
  });

  it('reports a voided hold the ledger released as expired', async () => {
    await withFault(
      async () => {
        await setHold(ids.voided, `release = 'EXPIRY'`);
        return () => setHold(ids.voided, `release = 'VOID'`);
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.holdsMatchTransfers]);
        expect(checkOf(report, CHECK_NAMES.holdsMatchTransfers).violations).toEqual([
          `hold ${ids.voided} VOIDED but the ledger has it RELEASED by EXPIRY`,
        ]);
      },
    );
  });

  it('reports a hold HELD two hours past its expiry, only notes it within a longer grace, and the CLI takes that grace', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR_MS);
    const inAnHour = new Date(Date.now() + HOUR_MS);
    const setExpiry = async (expiresAt: Date) => {
      // Past the transfers' trigger too: a transfer's expiry is one of its facts, which never change.
      await sql(
        databases.transfer.adminUrl,
        `UPDATE transfers SET hold_expires_at = $2 WHERE id = $1`,
        [ids.held, expiresAt],
        { skipTriggers: true },
      );
      await setHold(ids.held, `expires_at = $2`, [expiresAt]);
    };
    await withFault(
      async () => {
        await setExpiry(twoHoursAgo);
        return () => setExpiry(inAnHour);
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.holdsEnd]);
        expect(checkOf(report, CHECK_NAMES.holdsEnd).violations).toEqual([
          `hold ${ids.held}: the transfer is HELD 2 h 0 min after its expiry; the ledger's hold is ACTIVE 2 h 0 min after its expiry, past the 5 min 0 s grace`,
        ]);
        const patient = await audit({ holdGraceMs: 3 * HOUR_MS });
        expect(failingChecks(patient)).toEqual([]);
        expect(checkOf(patient, CHECK_NAMES.holdsEnd).notes).toEqual([
          expect.stringMatching(
            new RegExp(
              `^hold ${ids.held}: the transfer is HELD 2 h 0 min after its expiry.*within the grace$`,
            ),
          ),
        ]);
        const flags = [
          `--transfer-db=${targets.transferDatabaseUrl}`,
          `--ledger-db=${targets.ledgerDatabaseUrl}`,
          `--notification-db=${targets.notificationDatabaseUrl}`,
          '--no-kafka',
        ];
        const strict = await runCli(flags);
        expect(strict.code).toBe(1);
        expect(strict.stdout).toMatch(/^FAIL {2}holds-end /m);
        const lenient = await runCli([...flags, `--hold-grace-ms=${3 * HOUR_MS}`]);
        expect(lenient.code).toBe(0);
        expect(lenient.stdout).toMatch(/^PASS {2}holds-end /m);
      },
    );
  });

  it('reports a refund accepted beyond what its payment paid', async () => {
    const tooMuch = randomUUID();
    await withFault(
      async () => {
        // 1000 already refunded of 3000; 2500 more, accepted a moment ago and not decided yet.
        await insertRows(databases.transfer.adminUrl, 'transfers', [
          transferRow(tooMuch, accounts.bob, accounts.alice, 2_500n, 'PENDING', new Date(), {
            refund_of: ids.payment,
          }),
        ]);
        return () =>
          sql(databases.transfer.adminUrl, `DELETE FROM transfers WHERE id = $1`, [tooMuch]).then(
            () => undefined,
          );
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.refundsWithinPayments]);
        expect(checkOf(report, CHECK_NAMES.refundsWithinPayments).violations).toEqual([
          `payment ${ids.payment} COMPLETED paid 3000, its PENDING and COMPLETED refunds sum to 3500`,
        ]);
      },
    );
  });

  it('reports a posted refund the ledger books against another payment, which it does not reverse', async () => {
    const setRefundOf = (paymentId: string) =>
      sql(
        databases.ledger.adminUrl,
        `UPDATE ledger_decisions SET refund_of = $2 WHERE transfer_id = $1`,
        [ids.paymentRefund, paymentId],
        {
          // The decisions are append-only: a trigger refuses UPDATE.
          skipTriggers: true,
        },
      ).then(() => undefined);
    await withFault(
      async () => {
        await setRefundOf(ids.funding);
        return () => setRefundOf(ids.payment);
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([
          CHECK_NAMES.decisionsMatchTransfers,
          CHECK_NAMES.refundPostingsWithinPayments,
        ]);
        expect(checkOf(report, CHECK_NAMES.decisionsMatchTransfers).violations).toEqual([
          `transfer ${ids.paymentRefund} refunds ${ids.payment} but the ledger decided it as a refund of ${ids.funding}`,
        ]);
        expect(checkOf(report, CHECK_NAMES.refundPostingsWithinPayments).violations).toEqual([
          `transfer ${ids.funding}: 1 posted refunds do not reverse its entries' accounts and currency (${ids.paymentRefund})`,
        ]);
      },
    );
  });

  it('reports refunds the ledger posted beyond the payment’s debit', async () => {
    const setDebit = (amount: bigint) =>
      sql(
        databases.ledger.adminUrl,
        `UPDATE journal_entries SET amount_minor = $2 WHERE transfer_id = $1 AND direction = 'DEBIT'`,
        [ids.captured, amount],
        { skipTriggers: true },
      ).then(() => undefined);
    await withFault(
      async () => {
        await setDebit(199n);
        return () => setDebit(1_200n);
      },
      async () => {
        const report = await audit();
        // The shrunken DEBIT also breaks the capture's posting and alice's balance against her journal.
        expect(failingChecks(report)).toEqual([
          CHECK_NAMES.postingsMatchTransfers,
          CHECK_NAMES.balancesMatchJournal,
          CHECK_NAMES.holdsSettleExactly,
          CHECK_NAMES.refundPostingsWithinPayments,
        ]);
        expect(checkOf(report, CHECK_NAMES.refundPostingsWithinPayments).violations).toEqual([
          `transfer ${ids.captured} debited 199, the ledger posted 1 refunds of it debiting 200`,
        ]);
      },
    );
  });

  async function setHold(transferId: string, assignment: string, params: unknown[] = []): Promise<void> {
    // Past the holds' trigger: an ended hold never changes again, and its facts never do.
    await sql(
      databases.ledger.adminUrl,
      `UPDATE holds SET ${assignment} WHERE transfer_id = $1`,
      [transferId, ...params],
      {
        skipTriggers: true,
      },
    );
  }
});

function transferRow(
  id: string,
  from: string,
  to: string,
  amount: bigint,
  status: string,
  at: Date,
  kind: Row = {},
): Row {
  return {
    id,
    client_id: 'client-a',
    from_account_id: from,
    to_account_id: to,
    amount_minor: amount,
    currency: 'EUR',
    status,
    version: status === 'PENDING' ? 1 : 5,
    last_event_id: randomUUID(),
    correlation_id: 'audit-holds-test',
    created_at: at,
    updated_at: at,
    ...kind,
  };
}

function accountRow(id: string, balance: bigint, held: bigint, allowNegativeBalance = false): Row {
  return {
    id,
    owner_client_id: 'client-a',
    currency: 'EUR',
    balance_minor: balance,
    held_minor: held,
    allow_negative_balance: allowNegativeBalance,
  };
}

function entryRow(transferId: string, accountId: string, direction: string, amount: bigint, at: Date): Row {
  return {
    transfer_id: transferId,
    account_id: accountId,
    direction,
    amount_minor: amount,
    currency: 'EUR',
    posted_at: at,
  };
}

function decisionRow(transferId: string, outcome: string, at: Date, refundOf: string | null = null): Row {
  return { transfer_id: transferId, outcome, reason: null, decided_at: at, refund_of: refundOf };
}

function holdRow(
  transferId: string,
  [from, to]: [string, string],
  amount: bigint,
  expiresAt: Date,
  at: Date,
  end: Row,
): Row {
  return {
    transfer_id: transferId,
    account_id: from,
    to_account_id: to,
    amount_minor: amount,
    currency: 'EUR',
    expires_at: expiresAt,
    placed_at: at,
    ...end,
  };
}

/** One statement as the superuser; `skipTriggers` runs it in replica mode (no triggers fire). */
async function sql(
  url: string,
  text: string,
  params: unknown[] = [],
  { skipTriggers = false } = {},
): Promise<Row[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    if (skipTriggers) await client.query(`SET LOCAL session_replication_role = replica`);
    const result = await client.query<Row>(text, params);
    await client.query('COMMIT');
    return result.rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function insertRows(url: string, table: string, rows: Row[]): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row);
    await sql(
      url,
      `INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(', ')})
       VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      columns.map((column) => row[column]),
    );
  }
}

/** Runs the built CLI as `npm run audit` does, and collects its exit code and output. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = path.join(REPO_ROOT, 'apps', 'auditor', 'dist', 'main.js');
  const child = spawn(process.execPath, [main, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the audit CLI did not exit within 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
