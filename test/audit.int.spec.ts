// Proves the reconciliation auditor against the three real services: after real transfers every
// invariant holds (the ledger's decisions agreeing with the transfers' states too), each fault injected
// into a database (or a dead letter into Kafka) is reported by the check meant to catch it and by no
// other, and `npm run audit`'s script exits 0 clean, 1 on a violation and 2, naming the connection,
// when it cannot connect.
import {
  createLedgerClient,
  createNotificationClient,
  createTransferClient,
  type Transfer,
} from '@oncepay/client';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { TOPICS } from '@oncepay/contracts';
import { IdempotentProducer } from '@oncepay/messaging';
import {
  bootServices,
  createTestDatabase,
  createTestKafka,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  waitFor,
  type BootedServices,
  type TestDatabase,
} from '@oncepay/test-support';
import { auditOncePay, CHECK_NAMES, type AuditReport, type AuditTargets } from '../apps/auditor/src/auditor';
import { emptyStatusCounts } from '../apps/auditor/src/checks';
import { deadLetterTopicsOf } from '../apps/auditor/src/dead-letters';
import { closeReadOnly, openReadOnly } from '../apps/auditor/src/snapshots';

type ServiceName = 'transfer' | 'ledger' | 'notification';
type Row = Record<string, unknown>;

const REPO_ROOT = path.join(__dirname, '..');
/** Every status counted, at zero. */
const noTransfers = emptyStatusCounts();
const EUR = 'EUR';
/** Who calls: the API key the typed clients send. */
type As = { apiKey: string };
const asA: As = TEST_CLIENTS.a;
const asB: As = TEST_CLIENTS.b;
/** Owns the treasury: only an operator may open an account allowed to go negative. */
const asOperator: As = TEST_CLIENTS.operator;

describe('the reconciliation auditor against the three real services', () => {
  let stack: BootedServices<ServiceName>;
  /** More databases some tests create; dropped at the end too. */
  const databases: TestDatabase[] = [];
  /** Where the faults are made: as the superuser, past what the services' roles may do. */
  const urls = {} as Record<ServiceName, string>;
  /** What the auditor reads with: its read-only role. */
  const auditorUrls = {} as Record<ServiceName, string>;
  const base = {} as Record<ServiceName, string>;
  let targets: AuditTargets;

  // What the transfers below leave behind: treasury -10000, alice 7500, bob 2500.
  const accounts = { treasury: '', alice: '', bob: '' };
  const transfers = { funding: '', completed: '', overdraft: '' };

  async function openAccount(client: As, allowNegativeBalance = false): Promise<string> {
    const { data, response } = await createLedgerClient(base.ledger, client).POST('/v1/accounts', {
      body: { currency: EUR, allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return data!.id;
  }

  /** Requests a transfer and waits until it is terminal and its client was notified. */
  async function settleTransfer(from: string, to: string, amount: string, client = asA): Promise<Transfer> {
    const transferApi = createTransferClient(base.transfer, client);
    const { data, response } = await transferApi.POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { fromAccountId: from, toAccountId: to, amount, currency: EUR },
    });
    expect(response.status).toBe(202);
    const id = data!.id;
    const settled = await waitFor(
      async () => (await transferApi.GET('/v1/transfers/{id}', { params: { path: { id } } })).data!,
      (transfer) => transfer.status !== 'PENDING',
      { timeoutMs: 60_000, what: `transfer ${id} to settle` },
    );
    const notificationApi = createNotificationClient(base.notification, client);
    await waitFor(
      async () =>
        (await notificationApi.GET('/v1/notifications', { params: { query: { transferId: id } } })).data!
          .data,
      (list) => list.length === 1,
      { what: `the notification of ${id}` },
    );
    return settled;
  }

  beforeAll(async () => {
    stack = await bootServices(['ledger', 'transfer', 'notification']);
    for (const name of ['transfer', 'ledger', 'notification'] as const) {
      urls[name] = stack.database(name).adminUrl;
      auditorUrls[name] = stack.database(name).auditorUrl;
      base[name] = stack.baseUrl(name);
    }
    targets = {
      transferDatabaseUrl: auditorUrls.transfer,
      ledgerDatabaseUrl: auditorUrls.ledger,
      notificationDatabaseUrl: auditorUrls.notification,
      kafkaBrokers: testEnv.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
    };
    accounts.treasury = await openAccount(asOperator, true);
    accounts.alice = await openAccount(asA);
    accounts.bob = await openAccount(asB);
    const funding = await settleTransfer(accounts.treasury, accounts.alice, '10000', asOperator);
    const completed = await settleTransfer(accounts.alice, accounts.bob, '2500');
    const overdraft = await settleTransfer(accounts.alice, accounts.bob, '99999');
    expect([funding.status, completed.status, overdraft.status]).toEqual([
      'COMPLETED',
      'COMPLETED',
      'FAILED',
    ]);
    Object.assign(transfers, { funding: funding.id, completed: completed.id, overdraft: overdraft.id });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all(databases.map((database) => database.drop()));
  });

  function audit(overrides: Partial<AuditTargets> = {}): Promise<AuditReport> {
    return auditOncePay({ ...targets, ...overrides });
  }

  function failingChecks(report: AuditReport): string[] {
    return report.checks.filter((check) => !check.ok).map((check) => check.name);
  }

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

  it('reports every invariant holding after real transfers, with the right counts', async () => {
    const report = await audit();
    expect(failingChecks(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => [check.name, check.skipped])).toEqual(
      Object.values(CHECK_NAMES).map((name) => [name, false]),
    );
    expect(report.counts).toEqual({
      transfers: { ...noTransfers, COMPLETED: 2, FAILED: 1 },
      accounts: 3,
      journalEntries: 4,
      decisions: 3,
      holds: 0,
      notifications: 3,
      deadLetters: 0,
    });
    expect(report.resources).toEqual({
      elapsedMs: expect.any(Number),
      cpuMs: expect.any(Number),
      maxRssBytes: expect.any(Number),
      peakHeapUsedBytes: expect.any(Number),
      pageSize: 1000,
    });
    expect(report.resources.maxRssBytes).toBeGreaterThanOrEqual(report.resources.peakHeapUsedBytes);
  });

  it('reads through sessions that refuse writes', async () => {
    const ledger = await openReadOnly('ledger database', urls.ledger);
    try {
      // 25006: read_only_sql_transaction.
      await expect(ledger.client.query('DELETE FROM accounts')).rejects.toMatchObject({ code: '25006' });
    } finally {
      await closeReadOnly(ledger);
    }
  });

  it('reports a deleted CREDIT of a COMPLETED transfer as a broken posting and a balance off its journal, the sum untouched', async () => {
    await withFault(
      async () => {
        // The journal is append-only: a trigger refuses DELETE. Replica mode skips triggers, as a
        // superuser's manual fix or a faulty restore would.
        const [entry] = await sql(
          urls.ledger,
          `DELETE FROM journal_entries WHERE transfer_id = $1 AND direction = 'CREDIT' RETURNING *`,
          [transfers.completed],
          { skipTriggers: true },
        );
        if (!entry) throw new Error('the completed transfer has no CREDIT');
        return () => insertRows(urls.ledger, 'journal_entries', [entry]);
      },
      async () => {
        const report = await audit();
        expect(report.ok).toBe(false);
        expect(failingChecks(report)).toEqual([
          CHECK_NAMES.postingsMatchTransfers,
          CHECK_NAMES.balancesMatchJournal,
        ]);
        expect(checkOf(report, CHECK_NAMES.postingsMatchTransfers).violations).toEqual([
          expect.stringContaining(
            `transfer ${transfers.completed} COMPLETED: expected one DEBIT and one CREDIT, found 1 DEBIT and 0 CREDIT`,
          ),
        ]);
        expect(checkOf(report, CHECK_NAMES.balancesMatchJournal).violations).toEqual([
          `account ${accounts.bob} (EUR) has balance 2500, its journal sums to 0 (credits minus debits)`,
        ]);
      },
    );
  });

  it('reports entries posted in another currency than their accounts', async () => {
    await withFault(
      async () => {
        // Replica mode, as above: the journal's trigger refuses UPDATE too.
        const moved = async (currency: string) =>
          sql(
            urls.ledger,
            `UPDATE journal_entries SET currency = $2 WHERE transfer_id = $1 RETURNING id`,
            [transfers.completed, currency],
            { skipTriggers: true },
          );
        expect(await moved('USD')).toHaveLength(2);
        return async () => void (await moved(EUR));
      },
      async () => {
        const report = await audit();
        // The transfer's own check sees entries off its currency; only this check sees the accounts'.
        expect(failingChecks(report)).toEqual([
          CHECK_NAMES.postingsMatchTransfers,
          CHECK_NAMES.balancesMatchJournal,
        ]);
        expect(checkOf(report, CHECK_NAMES.balancesMatchJournal).violations.sort()).toEqual(
          [
            `account ${accounts.alice} (EUR) has journal entries in another currency (from EUR to USD)`,
            `account ${accounts.bob} (EUR) has journal entries in another currency (from USD to USD)`,
          ].sort(),
        );
      },
    );
  });

  it('reports a non-treasury account overdrawn, its money moved to another so the sum still holds, only against the journal', async () => {
    await withFault(
      async () => {
        // alice 7500 -> -1, bob 2500 -> 10001: the total stays 0, the balances leave their journals.
        await setBalances({ [accounts.alice]: '-1', [accounts.bob]: '10001' });
        return () => setBalances({ [accounts.alice]: '7500', [accounts.bob]: '2500' });
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.balancesMatchJournal]);
        expect(checkOf(report, CHECK_NAMES.balancesMatchJournal).violations.sort()).toEqual(
          [
            `account ${accounts.alice} (EUR) has balance -1, its journal sums to 7500 (credits minus debits)`,
            `account ${accounts.alice} (EUR) has negative balance -1 but does not allow one`,
            `account ${accounts.bob} (EUR) has balance 10001, its journal sums to 2500 (credits minus debits)`,
          ].sort(),
        );
      },
    );
  });

  it('reports a non-treasury account overdrawn with nothing to compensate against the journal and in the sum', async () => {
    await withFault(
      async () => {
        await setBalances({ [accounts.alice]: '-1' });
        return () => setBalances({ [accounts.alice]: '7500' });
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([
          CHECK_NAMES.balancesSumToZero,
          CHECK_NAMES.balancesMatchJournal,
        ]);
        expect(checkOf(report, CHECK_NAMES.balancesSumToZero).violations).toEqual([
          'EUR: the balances of 3 accounts sum to -7501, not 0',
        ]);
      },
    );
  });

  it('reports a missing notification once its transfer settled longer ago than the grace', async () => {
    // A second notification for one transfer cannot even be written: transfer_id is unique.
    await expect(
      sql(
        urls.notification,
        `INSERT INTO notifications (id, transfer_id, client_id, outcome, failure_reason, event_id, payload, status)
         SELECT $1::uuid, transfer_id, client_id, outcome, failure_reason, $2::uuid, payload, 'DELIVERED'
           FROM notifications WHERE transfer_id = $3`,
        [randomUUID(), randomUUID(), transfers.overdraft],
      ),
    ).rejects.toMatchObject({ code: '23505' });
    await withFault(
      async () => {
        const notifications = await sql(
          urls.notification,
          `SELECT * FROM notifications WHERE transfer_id = $1`,
          [transfers.overdraft],
        );
        const ids = notifications.map((row) => row.id);
        const attempts = await sql(
          urls.notification,
          `DELETE FROM delivery_attempts WHERE notification_id = ANY($1::uuid[]) RETURNING *`,
          [ids],
        );
        await sql(urls.notification, `DELETE FROM notifications WHERE id = ANY($1::uuid[])`, [ids]);
        return async () => {
          await insertRows(urls.notification, 'notifications', notifications);
          await insertRows(urls.notification, 'delivery_attempts', attempts);
        };
      },
      async () => {
        // Within the grace the outcome may still be on its way to the notification-service: a note.
        const patient = await audit({ pendingGraceMs: 10 * 60_000 });
        expect(failingChecks(patient)).toEqual([]);
        expect(checkOf(patient, CHECK_NAMES.notificationsMatchOutcomes).notes).toEqual([
          expect.stringContaining(`transfer ${transfers.overdraft} FAILED`),
        ]);
        const strict = await audit({ pendingGraceMs: 0 });
        expect(failingChecks(strict)).toEqual([CHECK_NAMES.notificationsMatchOutcomes]);
        expect(checkOf(strict, CHECK_NAMES.notificationsMatchOutcomes).violations).toEqual([
          expect.stringMatching(
            new RegExp(
              `transfer ${transfers.overdraft} FAILED .* ago has no notification, past the 0 ms grace`,
            ),
          ),
        ]);
      },
    );
  });

  it('reports a notification of the wrong outcome and one for a transfer nobody knows', async () => {
    const ghostTransfer = randomUUID();
    await withFault(
      async () => {
        await sql(urls.notification, `UPDATE notifications SET outcome = 'FAILED' WHERE transfer_id = $1`, [
          transfers.completed,
        ]);
        // DELIVERED, so the dispatcher leaves it alone and it has no delivery attempts to clean up.
        await sql(
          urls.notification,
          `INSERT INTO notifications (id, transfer_id, client_id, outcome, event_id, payload, status)
           VALUES ($1::uuid, $2::uuid, 'client-a', 'COMPLETED', $3::uuid, '{}'::jsonb, 'DELIVERED')`,
          [randomUUID(), ghostTransfer, randomUUID()],
        );
        return async () => {
          await sql(urls.notification, `DELETE FROM notifications WHERE transfer_id = $1`, [ghostTransfer]);
          await sql(
            urls.notification,
            `UPDATE notifications SET outcome = 'COMPLETED' WHERE transfer_id = $1`,
            [transfers.completed],
          );
        };
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.notificationsMatchOutcomes]);
        const { violations } = checkOf(report, CHECK_NAMES.notificationsMatchOutcomes);
        // Listed in transfer id order, which random ids make unpredictable.
        expect(violations).toHaveLength(2);
        expect(violations).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`says FAILED, transfer ${transfers.completed} is COMPLETED$`)),
            expect.stringMatching(
              new RegExp(`is for transfer ${ghostTransfer}, which the transfer-service does not know$`),
            ),
          ]),
        );
      },
    );
  });

  it('reports a ledger decision that contradicts its COMPLETED transfer and one for a transfer nobody knows', async () => {
    const ghostTransfer = randomUUID();
    await withFault(
      async () => {
        // Past the decisions' append-only trigger: the auditor must catch what got around it.
        await sql(
          urls.ledger,
          `UPDATE ledger_decisions SET outcome = 'REJECTED', reason = 'INSUFFICIENT_FUNDS' WHERE transfer_id = $1`,
          [transfers.completed],
          { skipTriggers: true },
        );
        await sql(
          urls.ledger,
          `INSERT INTO ledger_decisions (transfer_id, outcome, reason, decided_at)
           VALUES ($1::uuid, 'POSTED', NULL, now())`,
          [ghostTransfer],
        );
        return async () => {
          await sql(urls.ledger, `DELETE FROM ledger_decisions WHERE transfer_id = $1`, [ghostTransfer], {
            skipTriggers: true,
          });
          await sql(
            urls.ledger,
            `UPDATE ledger_decisions SET outcome = 'POSTED', reason = NULL WHERE transfer_id = $1`,
            [transfers.completed],
            { skipTriggers: true },
          );
        };
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.decisionsMatchTransfers]);
        const { violations } = checkOf(report, CHECK_NAMES.decisionsMatchTransfers);
        // Listed in transfer id order, which random ids make unpredictable.
        expect(violations).toHaveLength(2);
        expect(violations).toEqual(
          expect.arrayContaining([
            `transfer ${transfers.completed} COMPLETED but the ledger has REJECTED (INSUFFICIENT_FUNDS)`,
            `the ledger decided POSTED for transfer ${ghostTransfer}, which the transfer-service does not know`,
          ]),
        );
      },
    );
  });

  it('reports a transfer PENDING for two hours with its age, and only notes one accepted a moment ago', async () => {
    const stuck = randomUUID();
    const fresh = randomUUID();
    await withFault(
      async () => {
        const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
        await insertPendingTransfer(stuck, twoHoursAgo);
        await insertPendingTransfer(fresh, new Date());
        return async () => {
          await sql(urls.transfer, `DELETE FROM transfers WHERE id = ANY($1::uuid[])`, [[stuck, fresh]]);
        };
      },
      async () => {
        const report = await audit();
        expect(failingChecks(report)).toEqual([CHECK_NAMES.transfersSettle]);
        expect(report.counts.transfers).toEqual({ ...noTransfers, COMPLETED: 2, FAILED: 1, PENDING: 2 });
        const settle = checkOf(report, CHECK_NAMES.transfersSettle);
        expect(settle.violations).toEqual([
          expect.stringMatching(
            new RegExp(`^transfer ${stuck} PENDING for 2 h 0 min .*past the 60\\.0 s grace$`),
          ),
        ]);
        expect(settle.notes).toEqual([
          expect.stringMatching(new RegExp(`^transfer ${fresh} PENDING for .*within`)),
        ]);
      },
    );
  });

  it('reports a message a consumer could not decode, in its dead-letter topic, unless it was expected', async () => {
    const [requestsDlt] = deadLetterTopicsOf(TEST_KAFKA_NAMESPACE);
    const kafka = createTestKafka();
    await withFault(
      async () => {
        const producer = new IdempotentProducer(kafka);
        await producer.connect();
        try {
          await producer.send([
            {
              topic: `${TEST_KAFKA_NAMESPACE}${TOPICS.transferRequests}`,
              key: randomUUID(),
              value: 'not an event',
              headers: {},
            },
          ]);
        } finally {
          await producer.disconnect();
        }
        return () => emptyTopic(kafka, requestsDlt!);
      },
      async () => {
        // The ledger-service's consumer dead-letters it asynchronously.
        const report = await waitFor(
          () => audit(),
          (candidate) => candidate.counts.deadLetters === 1,
          { what: 'the undecodable message to reach its dead-letter topic' },
        );
        expect(failingChecks(report)).toEqual([CHECK_NAMES.deadLettersExpected]);
        expect(checkOf(report, CHECK_NAMES.deadLettersExpected).violations).toEqual([
          `${requestsDlt} holds 1 waiting messages`,
        ]);
        expect((await audit({ expectedDeadLetters: 1 })).ok).toBe(true);
      },
    );
  });

  describe('the CLI (apps/auditor, built)', () => {
    const flags = (): string[] => [
      `--transfer-db=${auditorUrls.transfer}`,
      `--ledger-db=${auditorUrls.ledger}`,
      `--notification-db=${auditorUrls.notification}`,
      `--brokers=${testEnv.kafkaBrokers.join(',')}`,
      `--namespace=${TEST_KAFKA_NAMESPACE}`,
    ];

    it('exits 1 and prints the failing check when an invariant is broken', async () => {
      const stuck = randomUUID();
      await withFault(
        async () => {
          await insertPendingTransfer(stuck, new Date(Date.now() - 3_600_000));
          return async () => {
            await sql(urls.transfer, `DELETE FROM transfers WHERE id = $1`, [stuck]);
          };
        },
        async () => {
          const run = await runCli(flags());
          expect(run.code).toBe(1);
          expect(run.stdout).toMatch(
            new RegExp(
              `^OncePay audit at .*: FAILED \\(1 of ${Object.values(CHECK_NAMES).length} checks\\)$`,
              'm',
            ),
          );
          expect(run.stdout).toMatch(/^FAIL {2}transfers-settle /m);
          expect(run.stdout).toContain(`✗ transfer ${stuck} PENDING for 60 min`);
          expect(run.stdout).toMatch(/^PASS {2}dead-letters-expected /m);
        },
      );
    });

    it('exits 0 on the services’ clean databases and prints the report as JSON with --json', async () => {
      const run = await runCli([...flags(), '--json']);
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as AuditReport;
      expect(report.ok).toBe(true);
      expect(report.counts.transfers).toEqual({ ...noTransfers, COMPLETED: 2, FAILED: 1 });
    });

    it('exits 0 on fresh databases and a namespace whose dead-letter topics do not exist yet', async () => {
      const fresh = await Promise.all(
        (['transfer', 'ledger', 'notification'] as const).map((name) => createTestDatabase(name)),
      );
      databases.push(...fresh);
      const [transferDb, ledgerDb, notificationDb] = fresh;
      const run = await runCli([
        `--transfer-db=${transferDb!.auditorUrl}`,
        `--ledger-db=${ledgerDb!.auditorUrl}`,
        `--notification-db=${notificationDb!.auditorUrl}`,
        `--brokers=${testEnv.kafkaBrokers.join(',')}`,
        `--namespace=audit-empty-${randomUUID().slice(0, 8)}.`,
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^PASS {2}dead-letters-expected .*not created yet \(counted as empty\)/m);
    });

    it('exits 2 naming the database it cannot connect to, without its password', async () => {
      const run = await runCli([
        ...flags().slice(1),
        '--transfer-db=postgresql://postgres:s3cret@127.0.0.1:1/oncepay_transfer',
        '--no-kafka',
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        '[audit] cannot connect to the transfer database at postgresql://postgres:***@127.0.0.1:1/oncepay_transfer',
      );
      expect(run.stderr).not.toContain('s3cret');
    });
  });

  async function setBalances(balances: Record<string, string>): Promise<void> {
    for (const [id, balance] of Object.entries(balances))
      // Past the database's own money rules too: the auditor must catch what got around them.
      await sql(urls.ledger, `UPDATE accounts SET balance_minor = $2::bigint WHERE id = $1`, [id, balance], {
        skipTriggers: true,
      });
  }

  async function insertPendingTransfer(id: string, createdAt: Date): Promise<void> {
    await sql(
      urls.transfer,
      `INSERT INTO transfers (id, client_id, from_account_id, to_account_id, amount_minor, currency, status,
                              version, last_event_id, correlation_id, created_at, updated_at)
       VALUES ($1::uuid, $2, $3::uuid, $4::uuid, 1, 'EUR', 'PENDING', 1, $5::uuid, 'audit-test', $6, $6)`,
      [id, TEST_CLIENTS.a.id, accounts.alice, accounts.bob, randomUUID(), createdAt],
    );
  }
});

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

/** Puts back rows exactly as `SELECT *` or `RETURNING *` read them. */
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

/** Deletes every retained record of a topic: its low watermark moves up to its high watermark. */
async function emptyTopic(kafka: ReturnType<typeof createTestKafka>, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const partitions = await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({
      topic,
      partitions: partitions.map(({ partition, high }) => ({ partition, offset: high })),
    });
  } finally {
    await admin.disconnect();
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
