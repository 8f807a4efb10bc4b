// The shared rig of the fault-injection scenarios: the three built services as killable processes on
// per-file databases, a client that retries like a real one (same Idempotency-Key), bounded waits on
// the databases, and the auditor as the final judge. Not a test file itself (no `.spec.ts`).
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { auditOncePay, type AuditReport } from '../../scripts/audit/auditor';
import {
  createTestDatabase,
  killAllKillableServices,
  requestJson,
  startKillableService,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  waitFor,
  type KillableService,
  type TestDatabase,
} from '@oncepay/test-support';

export type ServiceName = 'transfer' | 'ledger' | 'notification';
const asA = { headers: TEST_CLIENTS.a.auth };

export interface PostedTransfer {
  key: string;
  id: string;
  attempts: number;
  /** What the attempts before the 202 ran into: `connection error`, `HTTP 409`, `HTTP 503`... */
  setbacks: string[];
}

export class ChaosStack {
  readonly databases = new Map<ServiceName, TestDatabase>();
  /** The current instance(s) of each service; index 0 is the one clients talk to. */
  readonly instances = new Map<ServiceName, KillableService[]>();
  readonly injected: string[] = [];
  private readonly sql = new Map<ServiceName, Client>();
  private readonly startedAt = Date.now();

  async boot(): Promise<void> {
    for (const name of ['ledger', 'transfer', 'notification'] as const) {
      this.databases.set(name, await createTestDatabase(name));
    }
    const booted = await Promise.allSettled(
      (['ledger', 'transfer', 'notification'] as const).map((name) => this.start(name)),
    );
    const failed = booted.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [name, database] of this.databases) {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      this.sql.set(name, client);
    }
  }

  /** Starts one more instance of `name` on its database (on `port` when given: a restart in place). */
  async start(name: ServiceName, port?: number): Promise<KillableService> {
    const database = this.databases.get(name);
    if (!database) throw new Error(`no database for ${name}`);
    const service = await startKillableService(name, database.url, port === undefined ? {} : { port });
    const list = this.instances.get(name) ?? [];
    list.push(service);
    this.instances.set(name, list);
    return service;
  }

  url(name: ServiceName): string {
    const first = this.instances.get(name)?.[0];
    if (!first) throw new Error(`${name}-service is not running`);
    return first.baseUrl;
  }

  /** Sends `signal` to instance `index` of `name` and forgets it. */
  async kill(name: ServiceName, signal: NodeJS.Signals, index = 0): Promise<KillableService> {
    const list = this.instances.get(name) ?? [];
    const victim = list[index];
    if (!victim) throw new Error(`no instance ${index} of ${name}`);
    list.splice(index, 1);
    this.injected.push(`${signal} ${name}-service pid ${victim.pid} at +${this.elapsed()} ms`);
    await victim.kill(signal);
    return victim;
  }

  /** SIGKILL, then a new process of the same service on the same database and port. */
  async crashAndRestart(name: ServiceName): Promise<KillableService> {
    const victim = await this.kill(name, 'SIGKILL');
    const restarted = await this.start(name, victim.port);
    this.injected.push(`restarted ${name}-service pid ${restarted.pid} at +${this.elapsed()} ms`);
    // The restarted instance is the one clients talk to.
    const list = this.instances.get(name)!;
    list.unshift(list.pop()!);
    return restarted;
  }

  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  async query<R extends Record<string, unknown>>(name: ServiceName, text: string, params: unknown[] = []) {
    const client = this.sql.get(name);
    if (!client) throw new Error(`no connection to ${name}`);
    return (await client.query<R>(text, params)).rows;
  }

  /** The single `n` column of a `SELECT count(*)::int AS n ...`. */
  async count(name: ServiceName, text: string, params: unknown[] = []): Promise<number> {
    const [row] = await this.query<{ n: number }>(name, text, params);
    return row?.n ?? 0;
  }

  async openAccount(allowNegativeBalance = false): Promise<string> {
    const response = await requestJson(this.url('ledger'), 'POST', '/v1/accounts', {
      ...asA,
      body: { currency: 'EUR', allowNegativeBalance },
    });
    if (response.status !== 201) throw new Error(`open account: ${response.status}`);
    return (response.body as { id: string }).id;
  }

  async balanceOf(accountId: string): Promise<bigint> {
    const [row] = await this.query<{ balance: string }>(
      'ledger',
      `SELECT balance_minor::text AS balance FROM accounts WHERE id = $1::uuid`,
      [accountId],
    );
    if (!row) throw new Error(`no account ${accountId}`);
    return BigInt(row.balance);
  }

  /**
   * POST /v1/transfers as a real client: on a connection error, a 409 (key in flight) or a 5xx, the
   * same request with the same Idempotency-Key again, until a 202 or the deadline.
   */
  async postTransfer(
    body: { fromAccountId: string; toAccountId: string; amount: string },
    { key = randomUUID(), deadlineMs = 75_000 } = {},
  ): Promise<PostedTransfer> {
    const deadline = Date.now() + deadlineMs;
    let attempts = 0;
    let last = '';
    const setbacks: string[] = [];
    while (Date.now() < deadline) {
      attempts += 1;
      try {
        const response = await requestJson(this.url('transfer'), 'POST', '/v1/transfers', {
          headers: { ...asA.headers, 'idempotency-key': key },
          body: { ...body, currency: 'EUR' },
        });
        if (response.status === 202)
          return { key, id: (response.body as { id: string }).id, attempts, setbacks };
        last = `HTTP ${response.status} ${JSON.stringify(response.body)}`;
        setbacks.push(`HTTP ${response.status}`);
        if (response.status !== 409 && response.status < 500) break;
      } catch (error) {
        last = String(error);
        const code = (error as { cause?: { code?: string } }).cause?.code;
        setbacks.push(`connection error${code ? ` ${code}` : ''}`);
      }
      await sleep(250);
    }
    throw new Error(`transfer with key ${key} not accepted after ${attempts} attempts: ${last}`);
  }

  /** Funds `accountId` from `treasury` and waits until it is COMPLETED. */
  async fund(treasury: string, accountId: string, amount: string): Promise<void> {
    const { id } = await this.postTransfer({ fromAccountId: treasury, toAccountId: accountId, amount });
    const [done] = await this.waitTerminal([id], 30_000);
    if (done?.status !== 'COMPLETED') throw new Error(`funding ${id} ended ${done?.status}`);
  }

  /** Waits (bounded) until none of `ids` is PENDING in the transfer database; returns their rows. */
  async waitTerminal(ids: string[], timeoutMs = 90_000) {
    return waitFor(
      () =>
        this.query<{ id: string; status: string; failure_reason: string | null }>(
          'transfer',
          `SELECT id::text AS id, status::text AS status, failure_reason FROM transfers WHERE id = ANY($1::uuid[])`,
          [ids],
        ),
      (rows) => rows.length === ids.length && rows.every((row) => row.status !== 'PENDING'),
      { timeoutMs, intervalMs: 250, what: `${ids.length} transfers to be terminal` },
    );
  }

  /** Waits (bounded) until every terminal transfer has its notification. */
  async waitNotified(timeoutMs = 30_000): Promise<void> {
    const terminal = await this.count(
      'transfer',
      `SELECT count(*)::int AS n FROM transfers WHERE status <> 'PENDING'`,
    );
    await waitFor(
      () => this.count('notification', `SELECT count(*)::int AS n FROM notifications`),
      (n) => n >= terminal,
      { timeoutMs, intervalMs: 250, what: `${terminal} notifications` },
    );
  }

  /** The auditor over the three databases and the dead-letter topics; nothing left under a grace period. */
  async audit(expectedDeadLetters = 0): Promise<AuditReport> {
    const report = await auditOncePay({
      transferDatabaseUrl: this.databases.get('transfer')!.url,
      ledgerDatabaseUrl: this.databases.get('ledger')!.url,
      notificationDatabaseUrl: this.databases.get('notification')!.url,
      kafkaBrokers: testEnv.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
      pendingGraceMs: 0,
      expectedDeadLetters,
    });
    return report;
  }

  report(scenario: string, report: AuditReport, extra: Record<string, unknown> = {}): void {
    console.log(
      [
        `[chaos] ${scenario} (${this.elapsed()} ms)`,
        `  injected: ${this.injected.length === 0 ? 'nothing' : ''}`,
        ...this.injected.map((line) => `    - ${line}`),
        `  observed: ${JSON.stringify(extra)}`,
        `  auditor: ok=${report.ok} counts=${JSON.stringify(report.counts)}`,
        ...report.checks.map((check) => `    ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.summary}`),
        ...report.checks.flatMap((check) => check.violations.map((line) => `      ! ${line}`)),
      ].join('\n'),
    );
  }

  /** Every process stopped (SIGKILL for what is left), every connection closed, every database dropped. */
  async teardown(): Promise<void> {
    await Promise.allSettled([...this.instances.values()].flat().map((service) => service.kill('SIGTERM')));
    await killAllKillableServices();
    await Promise.allSettled([...this.sql.values()].map((client) => client.end()));
    await Promise.allSettled([...this.databases.values()].map((database) => database.drop()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How often each setback occurred across `posted`, e.g. { "connection error": 120, "HTTP 409": 3 }. */
export function tally(posted: PostedTransfer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const setback of posted.flatMap((p) => p.setbacks)) counts[setback] = (counts[setback] ?? 0) + 1;
  return counts;
}
