// Proves that every dead letter ends in a state a person can see and act on, on the three real services,
// the real broker and the built `npm run dlq`: a TransferRequested whose posting always fails ends its
// transfer FAILED with UNPROCESSABLE (one notification, no money moved), shows in the ledger's trail as
// the request consumed and its dead letter written, is listed and shown, and the audit is clean once it
// is discarded; a TransferPosted the transfer-service could not apply for a while is listed, shown and
// replayed, and its transfer COMPLETES; replaying it again changes nothing (the
// consumer's dedup absorbs it); and the waiting count of the audit and of each service's metric follows.
// The failures are real database errors: a trigger, installed as the superuser, refuses one amount.
import {
  createLedgerClient,
  createNotificationClient,
  createTransferClient,
  type Notification,
  type Transfer,
} from '@oncepay/client';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { deadLetterTopicOf, TOPICS } from '@oncepay/contracts';
import { DEAD_LETTER_CURSOR_GROUP } from '@oncepay/messaging';
import {
  bootServices,
  createTestKafka,
  requestJson,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  waitFor,
  type BootedServices,
} from '@oncepay/test-support';
import { auditOncePay, CHECK_NAMES, type AuditReport } from '../apps/auditor/src/auditor';

type ServiceName = 'transfer' | 'ledger' | 'notification';
/** Who calls: the API key the typed clients send. */
type As = { apiKey: string };

const REPO_ROOT = path.join(__dirname, '..');
const asA: As = TEST_CLIENTS.a;
const asOperator: As = TEST_CLIENTS.operator;
const REQUESTS_DLT = deadLetterTopicOf(TEST_KAFKA_NAMESPACE + TOPICS.transferRequests);
const RESULTS_DLT = deadLetterTopicOf(TEST_KAFKA_NAMESPACE + TOPICS.ledgerResults);
/** The amounts the triggers below refuse: one the ledger cannot post, one the transfer-service cannot apply. */
const UNPOSTABLE_MINOR = '4242';
const UNAPPLICABLE_MINOR = '4343';

describe('dead letters with a way out (npm run dlq)', () => {
  let stack: BootedServices<ServiceName>;
  const adminUrls = {} as Record<ServiceName, string>;
  const auditorUrls = {} as Record<ServiceName, string>;
  const base = {} as Record<ServiceName, string>;
  const accounts = { treasury: '', alice: '', bob: '' };

  async function openAccount(client: As, allowNegativeBalance = false): Promise<string> {
    const { data, response } = await createLedgerClient(base.ledger, client).POST('/v1/accounts', {
      body: { currency: 'EUR', allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return data!.id;
  }

  async function requestTransfer(from: string, to: string, amount: string, client = asA): Promise<string> {
    const { data, response } = await createTransferClient(base.transfer, client).POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { fromAccountId: from, toAccountId: to, amount, currency: 'EUR' },
    });
    expect(response.status).toBe(202);
    return data!.id;
  }

  async function transfer(id: string, client = asA): Promise<Transfer> {
    const { data } = await createTransferClient(base.transfer, client).GET('/v1/transfers/{id}', {
      params: { path: { id } },
    });
    return data!;
  }

  async function notifications(id: string, client = asA): Promise<Notification[]> {
    const { data } = await createNotificationClient(base.notification, client).GET('/v1/notifications', {
      params: { query: { transferId: id } },
    });
    return data!.data;
  }

  /** An account's balance, read by its owner (another client's account answers 404). */
  async function balance(account: string, owner = asA): Promise<string> {
    const { data, response } = await createLedgerClient(base.ledger, owner).GET('/v1/accounts/{id}', {
      params: { path: { id: account } },
    });
    expect(response.status).toBe(200);
    return data!.balance;
  }

  function audit(): Promise<AuditReport> {
    return auditOncePay({
      transferDatabaseUrl: auditorUrls.transfer,
      ledgerDatabaseUrl: auditorUrls.ledger,
      notificationDatabaseUrl: auditorUrls.notification,
      kafkaBrokers: testEnv.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
    });
  }

  function failingChecks(report: AuditReport): string[] {
    return report.checks.filter((check) => !check.ok).map((check) => check.name);
  }

  /** The service's `oncepay_dead_letters_waiting` for one dead-letter topic, as scraped. */
  async function waitingMetric(service: ServiceName, topic: string): Promise<number | undefined> {
    const response = await fetch(`${base[service]}/metrics`);
    const line = (await response.text())
      .split('\n')
      .find(
        (candidate) =>
          candidate.startsWith('oncepay_dead_letters_waiting{') && candidate.includes(`topic="${topic}"`),
      );
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /** The sum of a counter's samples on a service whose labels include all of `labels`. */
  async function counter(service: ServiceName, name: string, labels: string[]): Promise<number> {
    const response = await fetch(`${base[service]}/metrics`);
    return (await response.text())
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  beforeAll(async () => {
    stack = await bootServices(['ledger', 'transfer', 'notification']);
    for (const name of ['transfer', 'ledger', 'notification'] as const) {
      adminUrls[name] = stack.database(name).adminUrl;
      auditorUrls[name] = stack.database(name).auditorUrl;
      base[name] = stack.baseUrl(name);
    }
    accounts.treasury = await openAccount(asOperator, true);
    accounts.alice = await openAccount(asA);
    accounts.bob = await openAccount(TEST_CLIENTS.b);
    const funding = await requestTransfer(accounts.treasury, accounts.alice, '100000', asOperator);
    await waitFor(
      () => transfer(funding, asOperator),
      (t) => t.status === 'COMPLETED',
      { timeoutMs: 60_000, what: 'the funding transfer to complete' },
    );
  }, 180_000);

  afterAll(() => stack?.stop());

  it('fails by design a transfer whose request the ledger cannot post; the dead letter is listed, shown and discarded', async () => {
    // Every posting of this amount fails in the database; the rejection writes no journal entry.
    await sql(
      adminUrls.ledger,
      `CREATE FUNCTION refuse_unpostable() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.amount_minor = ${UNPOSTABLE_MINOR} THEN RAISE EXCEPTION 'test: this posting always fails'; END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER refuse_unpostable BEFORE INSERT ON journal_entries
         FOR EACH ROW EXECUTE FUNCTION refuse_unpostable();`,
    );
    const aliceBefore = await balance(accounts.alice);
    const id = await requestTransfer(accounts.alice, accounts.bob, UNPOSTABLE_MINOR);

    const failed = await waitFor(
      () => transfer(id),
      (t) => t.status !== 'PENDING',
      { timeoutMs: 60_000, what: `transfer ${id} to end` },
    );
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'UNPROCESSABLE' });
    const told = await waitFor(
      () => notifications(id),
      (list) => list.length > 0,
      { what: `the notification of ${id}` },
    );
    expect(told).toEqual([expect.objectContaining({ outcome: 'FAILED', failureReason: 'UNPROCESSABLE' })]);
    expect(await balance(accounts.alice)).toBe(aliceBefore);

    // The request still waits in the dead-letter topic, for the operator to read: the audit says so, as
    // does the ledger's metric, and it is the only thing the audit finds.
    const report = await waitFor(
      () => audit(),
      (candidate) => candidate.counts.deadLetters === 1,
      { what: 'the dead letter to be counted' },
    );
    expect(failingChecks(report)).toEqual([CHECK_NAMES.deadLettersExpected]);
    expect(
      await waitFor(
        () => waitingMetric('ledger', REQUESTS_DLT),
        (n) => n === 1,
      ),
    ).toBe(1);

    const list = await runDlq(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`1 dead letter waiting (${REQUESTS_DLT} 1, ${RESULTS_DLT} 0,`);
    const row = list.stdout.split('\n').find((line) => line.includes(id));
    expect(row).toMatch(
      new RegExp(
        `^${escape(REQUESTS_DLT)}/\\d+/\\d+ +TransferRequested +[0-9a-f-]{36} +${id} +${escape(TEST_KAFKA_NAMESPACE)}ledger-service +\\S+ +handler failed: .*this posting always fails`,
      ),
    );
    const ref = (row as string).split(' ')[0] as string;

    // The ledger's trail shows the request it gave up on: consumed, and its dead letter written through
    // the outbox, both under the request's own event id.
    const requestId = (row as string).split(/ +/)[2] as string;
    const trail = await requestJson(base.ledger, 'GET', `/v1/ops/transfers/${id}/trail`, {
      headers: TEST_CLIENTS.operator.auth,
    });
    expect(trail.status).toBe(200);
    expect((trail.body as { entries: unknown[] }).entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'consumed', eventId: requestId }),
        expect.objectContaining({
          kind: 'outbox-row',
          eventId: requestId,
          eventType: 'TransferRequested',
          topic: deadLetterTopicOf(TOPICS.transferRequests),
          summary: expect.stringContaining(`Wrote the dead letter of TransferRequested ${requestId}`),
        }),
      ]),
    );

    const show = await runDlq(['show', ref]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('status       waiting');
    expect(show.stdout).toContain(`transfer id  ${id}`);
    expect(show.stdout).toMatch(/^ {2}x-dlt-reason: handler failed: .*this posting always fails$/m);
    expect(show.stdout).toContain(`"amountMinor": "${UNPOSTABLE_MINOR}"`);

    const discard = await runDlq(['discard', '--all', '--reason', 'failed by design as UNPROCESSABLE']);
    expect(discard.code).toBe(0);
    // The ledger settled this request as it dead-lettered it: discarding it leaves nothing undone.
    expect(discard.stderr).not.toContain('WARNING');
    expect(JSON.parse(discard.stdout.split('\n')[0] as string)).toMatchObject({
      action: 'discarded',
      ref,
      eventType: 'TransferRequested',
      transferId: id,
      reason: 'failed by design as UNPROCESSABLE',
    });

    expect(failingChecks(await audit())).toEqual([]);
    expect(
      await waitFor(
        () => waitingMetric('ledger', REQUESTS_DLT),
        (n) => n === 0,
      ),
    ).toBe(0);
    expect((await runDlq(['show', ref])).stdout).toContain('status       dealt with');
    await sql(
      adminUrls.ledger,
      `DROP TRIGGER refuse_unpostable ON journal_entries; DROP FUNCTION refuse_unpostable();`,
    );
  });

  it('replays a TransferPosted the transfer-service dead-lettered, and a second replay changes nothing', async () => {
    // While this trigger is there, the transfer-service cannot complete a transfer of this amount.
    await sql(
      adminUrls.transfer,
      `CREATE FUNCTION refuse_completion() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.amount_minor = ${UNAPPLICABLE_MINOR} AND NEW.status = 'COMPLETED' THEN
           RAISE EXCEPTION 'test: cannot complete this transfer yet';
         END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER refuse_completion BEFORE UPDATE ON transfers
         FOR EACH ROW EXECUTE FUNCTION refuse_completion();`,
    );
    const id = await requestTransfer(accounts.alice, accounts.bob, UNAPPLICABLE_MINOR);
    expect(
      await waitFor(
        () => waitingMetric('transfer', RESULTS_DLT),
        (n) => n === 1,
        { timeoutMs: 60_000 },
      ),
    ).toBe(1);
    // Posted by the ledger, not applied by the transfer-service: PENDING, and nothing settles it alone.
    expect((await transfer(id)).status).toBe('PENDING');
    await sql(
      adminUrls.transfer,
      `DROP TRIGGER refuse_completion ON transfers; DROP FUNCTION refuse_completion();`,
    );

    const list = await runDlq(['list', '--topic', TOPICS.ledgerResults]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`1 dead letter waiting (${RESULTS_DLT} 1)`);
    const row = list.stdout.split('\n').find((line) => line.includes(id));
    expect(row).toMatch(
      new RegExp(`TransferPosted .*${id} +${escape(TEST_KAFKA_NAMESPACE)}transfer-service `),
    );
    const ref = (row as string).split(' ')[0] as string;
    const show = await runDlq(['show', ref, '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      ref,
      status: 'waiting',
      eventType: 'TransferPosted',
      transferId: id,
      event: { type: 'TransferPosted', payload: { transferId: id, amountMinor: UNAPPLICABLE_MINOR } },
    });

    const replay = await runDlq(['replay', '--through', ref, '--reason', 'the refusing trigger is gone']);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout.split('\n')[0] as string)).toMatchObject({
      action: 'replayed',
      ref,
      to: TEST_KAFKA_NAMESPACE + TOPICS.ledgerResults,
      transferId: id,
    });
    const completed = await waitFor(
      () => transfer(id),
      (t) => t.status === 'COMPLETED',
      { timeoutMs: 60_000, what: `transfer ${id} to complete after the replay` },
    );
    await waitFor(
      () => notifications(id),
      (list) => list.length === 1,
      { what: `the notification of ${id}` },
    );
    expect(
      await waitFor(
        () => waitingMetric('transfer', RESULTS_DLT),
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(failingChecks(await audit())).toEqual([]);

    // Replaying again through the command: nothing waits any more.
    const again = await runDlq(['replay', '--through', ref, '--reason', 'twice']);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('nothing waits up to') });

    // A replay of an event already applied (a second operator's stale run, or a run that crashed
    // before it moved the cursor): the cursor is put back, the same message published again.
    const balances = [await balance(accounts.alice), await balance(accounts.bob, TEST_CLIENTS.b)];
    const duplicatesBefore = await counter('transfer', 'oncepay_consumer_events_total', [
      'outcome="duplicate"',
    ]);
    await moveCursorBack(ref);
    const stale = await runDlq(['replay', '--all', '--reason', 'a stale second run']);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain('[dlq] replayed 1 dead letter');
    // The transfer-service's dedup absorbed it...
    await waitFor(
      () => counter('transfer', 'oncepay_consumer_events_total', ['outcome="duplicate"']),
      (n) => n > duplicatesBefore,
      { what: 'the transfer-service to absorb the second replay' },
    );
    // ...and nothing changed: the transfer, its one notification, the balances, the audit.
    expect(await transfer(id)).toEqual(completed);
    expect(await notifications(id)).toHaveLength(1);
    expect([await balance(accounts.alice), await balance(accounts.bob, TEST_CLIENTS.b)]).toEqual(balances);
    expect(failingChecks(await audit())).toEqual([]);
  });

  it('names what is wrong with a ref, and exits 2', async () => {
    const missing = await runDlq(['show', `${RESULTS_DLT}/0/999999`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no dead letter at ${RESULTS_DLT}/0/999999`);
    const usage = await runDlq(['replay', '--all']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('replay needs --reason');
  });
});

/** Moves the operator's cursor on the ref's partition back to the ref: it waits again. */
async function moveCursorBack(ref: string): Promise<void> {
  const [topic, partition, offset] = ref.split('/') as [string, string, string];
  const admin = createTestKafka().admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId: TEST_KAFKA_NAMESPACE + DEAD_LETTER_CURSOR_GROUP,
      topic,
      partitions: [{ partition: Number(partition), offset }],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Runs the built `npm run dlq` against the test broker and namespace. */
function runDlq(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = path.join(REPO_ROOT, 'apps', 'ops', 'dist', 'dlq', 'main.js');
  const child = spawn(process.execPath, [main, ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      KAFKA_NAMESPACE: TEST_KAFKA_NAMESPACE,
      USER: 'test-operator',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm run dlq ${args.join(' ')} did not exit within 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
