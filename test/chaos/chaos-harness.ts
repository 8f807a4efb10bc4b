// The shared rig of the fault-injection scenarios: the three built services as killable processes on
// per-file databases, a client that retries like a real one (same Idempotency-Key), bounded waits on
// the databases, and the auditor as the final judge. Not a test file itself (no `.spec.ts`).
import { createLedgerClient, createTransferClient } from '@oncepay/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';
import { auditOncePay, type AuditReport } from '../../apps/auditor/src/auditor';
import {
  createTestDatabase,
  killAllKillableServices,
  startKillableService,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  waitFor,
  type KillableService,
  type TestDatabase,
} from '@oncepay/test-support';
import { TERMINAL_STATUSES } from '@oncepay/transfer-state-machine';
import { CHAOS } from './chaos-config';
import { createMigratedDatabase } from './dedicated-infra';
import { PaymentMix, type PaymentMixOptions, type PaymentMixSummary } from './payment-mix';

export { CHAOS };

/** Where a scenario's services run when it brings infrastructure of its own (see dedicated-infra.ts). */
export interface ChaosStackOptions {
  /** The broker(s) of the services and the auditor instead of the test run's. */
  kafkaBrokers?: string[];
  /** Per service: the admin URL of the PostgreSQL server its database is created on, instead of the test run's. */
  postgresAdminUrls?: Partial<Record<ServiceName, string>>;
  /** More environment for every service instance (e.g. KAFKA_REPLICATION_FACTOR for a cluster). */
  serviceEnv?: Record<string, string>;
}

export type ServiceName = 'transfer' | 'ledger' | 'notification';
/** A client of the test API keys: `a` moves the load's money; only `operator` may open a treasury. */
type Client = (typeof TEST_CLIENTS)[keyof typeof TEST_CLIENTS];

export interface PostedTransfer {
  key: string;
  id: string;
  attempts: number;
  /** What the attempts before the 202 ran into: `connection error`, `HTTP 503`... */
  setbacks: string[];
}

/** A transfer as waitTerminal reads it back (a type, not an interface: query wants a plain record). */
export type TransferOutcome = { id: string; status: string; failure_reason: string | null };

/** A scenario's closing: its transfers, how long to wait for them, and what it adds along the way. */
export interface SettleOptions {
  /** The scenario's name in the printed report. */
  scenario: string;
  /** The load's transfers: each must end COMPLETED or FAILED. */
  ids: string[];
  terminalTimeoutMs: number;
  notifiedTimeoutMs: number;
  /**
   * The load's money: `source` was funded with `funded`, each transfer moves `amount` to `sink`, and
   * nothing else touches either account. Without it the money is the scenario's own to check.
   */
  money?: { source: string; sink: string; funded: bigint; amount: bigint };
  /** Dead-letter messages the scenario put there on purpose (see audit). */
  expectedDeadLetters?: number;
  /**
   * The payment mix the scenario ran beside its load (startMix): stopped and settled once the load's
   * transfers are terminal; every flow must have ended as the mix expects.
   */
  mix?: PaymentMix;
  /** Runs once the transfers are terminal, before the wait for notifications (which covers what it settles). */
  beforeNotified?: () => Promise<void>;
  /** Runs once every terminal transfer is notified, before the audit. */
  beforeAudit?: () => Promise<void>;
  /** What the scenario observed, for the printed report. */
  observed?: (settled: Settled) => Record<string, unknown>;
}

export interface Settled {
  rows: TransferOutcome[];
  completed: number;
  failed: TransferOutcome[];
  report: AuditReport;
  /** What the payment mix did, when the scenario ran one. */
  mix?: PaymentMixSummary;
}

export class ChaosStack {
  readonly databases = new Map<ServiceName, TestDatabase>();
  /** The current instance(s) of each service; index 0 is the one clients talk to. */
  readonly instances = new Map<ServiceName, KillableService[]>();
  readonly injected: string[] = [];
  /** Every instance ever started, killed ones included: their logs tell what the services went through. */
  readonly everyInstance: KillableService[] = [];
  /** Instances that died without the scenario killing them (an unhandled error, say): always a bug. */
  readonly unexpectedExits: string[] = [];
  private readonly killedOnPurpose = new Set<KillableService>();
  private readonly mixes: PaymentMix[] = [];
  private tearingDown = false;
  /** A small pool per database: a pool replaces connections a database restart cut, a lone client would not. */
  private readonly sql = new Map<ServiceName, Pool>();
  private readonly startedAt = Date.now();

  constructor(private readonly options: ChaosStackOptions = {}) {}

  get kafkaBrokers(): string[] {
    return this.options.kafkaBrokers ?? testEnv.kafkaBrokers;
  }

  async boot(): Promise<void> {
    for (const name of ['ledger', 'transfer', 'notification'] as const) {
      const adminUrl = this.options.postgresAdminUrls?.[name];
      this.databases.set(
        name,
        adminUrl ? await createMigratedDatabase(adminUrl, name) : await createTestDatabase(name),
      );
    }
    const booted = await Promise.allSettled(
      (['ledger', 'transfer', 'notification'] as const).map((name) => this.start(name)),
    );
    const failed = booted.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const [name, database] of this.databases) {
      const pool = new Pool({ connectionString: database.url, max: 2, connectionTimeoutMillis: 5_000 });
      // An idle connection cut by a database restart: the pool drops it; the next query opens a new one.
      pool.on('error', () => undefined);
      this.sql.set(name, pool);
    }
  }

  /**
   * Starts one more instance of `name` on its database (on `port` when given: a restart in place), with
   * `env` on top of the stack's environment (a changed setting, as a rolling deploy brings).
   */
  async start(name: ServiceName, port?: number, env: Record<string, string> = {}): Promise<KillableService> {
    const database = this.databases.get(name);
    if (!database) throw new Error(`no database for ${name}`);
    const service = await startKillableService(name, database.url, {
      ...(port === undefined ? {} : { port }),
      env: {
        ...(this.options.kafkaBrokers ? { KAFKA_BROKERS: this.options.kafkaBrokers.join(',') } : {}),
        ...this.options.serviceEnv,
        ...env,
      },
    });
    this.everyInstance.push(service);
    void service.exited.then((code) => {
      if (this.killedOnPurpose.has(service) || this.tearingDown) return;
      this.unexpectedExits.push(
        `${name}-service pid ${service.pid} exited on its own (code ${code}) at +${this.elapsed()} ms; ` +
          `last lines: ${service.logs.slice(-8).join(' | ')}`,
      );
    });
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
    this.killedOnPurpose.add(victim);
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
    const pool = this.sql.get(name);
    if (!pool) throw new Error(`no connection to ${name}`);
    return (await pool.query<R>(text, params)).rows;
  }

  /** How many lines of `name`'s logs (every instance, killed ones too) match `pattern`. */
  countLogLines(name: ServiceName, pattern: RegExp): number {
    return this.everyInstance
      .filter((service) => service.name === name)
      .reduce((n, service) => n + service.logs.filter((line) => pattern.test(line)).length, 0);
  }

  /**
   * What each running instance of `name` says of itself (its readiness: database, broker, consumers) and
   * its last log lines: a count that stopped with no exit is a consumer that stopped fetching, and
   * this says which and after what.
   */
  async describeInstances(name: ServiceName): Promise<string> {
    const lines: string[] = [];
    for (const service of this.instances.get(name) ?? []) {
      const readiness = await fetch(`${service.baseUrl}/health/ready`, { signal: AbortSignal.timeout(5_000) })
        .then(async (response) => `${response.status} ${await response.text()}`)
        .catch((error: unknown) => `unanswered (${String(error)})`);
      lines.push(`${name}-service pid ${service.pid}: ready ${readiness}`);
      lines.push(...service.logs.slice(-15).map((line) => `  ${line}`));
    }
    return lines.join('\n');
  }

  /** The single `n` column of a `SELECT count(*)::int AS n ...`. */
  async count(name: ServiceName, text: string, params: unknown[] = []): Promise<number> {
    const [row] = await this.query<{ n: number }>(name, text, params);
    return row?.n ?? 0;
  }

  /** An account of client `a`, or with `allowNegativeBalance` a treasury of the operator. */
  async openAccount(allowNegativeBalance = false): Promise<string> {
    const owner = allowNegativeBalance ? TEST_CLIENTS.operator : TEST_CLIENTS.a;
    const { data, response } = await createLedgerClient(this.url('ledger'), owner).POST('/v1/accounts', {
      body: { currency: 'EUR', allowNegativeBalance },
    });
    if (!data || response.status !== 201) throw new Error(`open account: ${response.status}`);
    return data.id;
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
   * POST /v1/transfers as a real client: on a connection error or a 5xx, the same request with the
   * same Idempotency-Key again, until a 202 or the deadline.
   */
  async postTransfer(
    body: { fromAccountId: string; toAccountId: string; amount: string },
    { key = randomUUID(), deadlineMs = 75_000, client = TEST_CLIENTS.a as Client } = {},
  ): Promise<PostedTransfer> {
    const deadline = Date.now() + deadlineMs;
    let attempts = 0;
    let last = '';
    const setbacks: string[] = [];
    while (Date.now() < deadline) {
      attempts += 1;
      try {
        const { data, error, response } = await createTransferClient(this.url('transfer'), client).POST(
          '/v1/transfers',
          { params: { header: { 'Idempotency-Key': key } }, body: { ...body, currency: 'EUR' } },
        );
        if (data && response.status === 202) return { key, id: data.id, attempts, setbacks };
        last = `HTTP ${response.status} ${JSON.stringify(error)}`;
        setbacks.push(`HTTP ${response.status}`);
        if (response.status < 500) break;
      } catch (error) {
        last = String(error);
        const code = (error as { cause?: { code?: string } }).cause?.code;
        setbacks.push(`connection error${code ? ` ${code}` : ''}`);
      }
      await sleep(250);
    }
    throw new Error(`transfer with key ${key} not accepted after ${attempts} attempts: ${last}`);
  }

  /** Funds `accountId` from the operator's `treasury` and waits until it is COMPLETED. */
  async fund(treasury: string, accountId: string, amount: string): Promise<void> {
    const { id } = await this.postTransfer(
      { fromAccountId: treasury, toAccountId: accountId, amount },
      { client: TEST_CLIENTS.operator },
    );
    const [done] = await this.waitTerminal([id], 30_000);
    if (done?.status !== 'COMPLETED') throw new Error(`funding ${id} ended ${done?.status}`);
  }

  /** Waits (bounded) until none of `ids` is PENDING in the transfer database; returns their rows. */
  async waitTerminal(ids: string[], timeoutMs = 90_000): Promise<TransferOutcome[]> {
    try {
      return await waitFor(
        () =>
          this.query<TransferOutcome>(
            'transfer',
            `SELECT id::text AS id, status::text AS status, failure_reason FROM transfers WHERE id = ANY($1::uuid[])`,
            [ids],
          ),
        (rows) => rows.length === ids.length && rows.every((row) => row.status !== 'PENDING'),
        { timeoutMs, intervalMs: 250, what: `${ids.length} transfers to be terminal` },
      );
    } catch (error) {
      // "Still PENDING" alone does not say which hop stopped; the outboxes usually do.
      throw new Error(`${String(error).split('; last value')[0]}\n${await this.whereStuck(ids)}`);
    }
  }

  /** How many transfers (of `ids`, or all) are still PENDING, and what the outboxes hold back. */
  async whereStuck(ids?: string[]): Promise<string> {
    const lines: string[] = [];
    const pending = await this.count(
      'transfer',
      `SELECT count(*)::int AS n FROM transfers WHERE status = 'PENDING' AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))`,
      [ids ?? null],
    ).catch((error: unknown) => `unknown (${String(error)})`);
    lines.push(`${pending}${ids ? ` of ${ids.length}` : ''} transfers still PENDING`);
    // Per topic and with the PARKED rows: a relay that publishes one topic and parked the other's
    // rows (a fault charged to the records) would otherwise look like a consumer that stopped.
    for (const name of ['transfer', 'ledger'] as const) {
      const outbox = await this.query<{
        topic: string;
        status: string;
        n: number;
        attempts: number | null;
        error: string | null;
      }>(
        name,
        `SELECT topic, status::text AS status, count(*)::int AS n, max(attempts)::int AS attempts,
                (array_agg(last_error ORDER BY position))[1] AS error
           FROM outbox_messages WHERE status IN ('PENDING', 'PARKED') GROUP BY topic, status ORDER BY topic, status`,
      ).catch(() => null);
      if (outbox === null) lines.push(`${name} outbox: unreadable`);
      else if (outbox.length === 0) lines.push(`${name} outbox: nothing PENDING or PARKED`);
      for (const row of outbox ?? [])
        lines.push(
          `${name} outbox ${row.topic}: ${row.n} ${row.status} rows, up to ${row.attempts ?? 0} attempts, ` +
            `head's last error: ${row.error ?? 'none'}`,
        );
    }
    return [...lines, ...this.unexpectedExits].join('\n');
  }

  /**
   * Opens the accounts of a payment mix (holds, captures, voids, expiries, refunds; see payment-mix.ts)
   * and starts it; pass it to settleAndAudit, which stops and checks it.
   */
  async startMix(options: PaymentMixOptions): Promise<PaymentMix> {
    const mix = new PaymentMix(this, options);
    this.mixes.push(mix);
    await mix.start();
    return mix;
  }

  /** Waits (bounded) until every terminal transfer has its notification (a hold under way has none yet). */
  async waitNotified(timeoutMs = 30_000): Promise<void> {
    const terminal = await this.count(
      'transfer',
      `SELECT count(*)::int AS n FROM transfers WHERE status::text = ANY($1::text[])`,
      [TERMINAL_STATUSES],
    );
    try {
      await waitFor(
        () => this.count('notification', `SELECT count(*)::int AS n FROM notifications`),
        (n) => n >= terminal,
        { timeoutMs, intervalMs: 250, what: `${terminal} notifications` },
      );
    } catch (error) {
      // A count that stopped is an outcome the transfer outbox did not publish (whereStuck shows its
      // head), or a notification-service that exited on its own or stopped consuming (its readiness
      // and last lines say which).
      const exits = this.unexpectedExits.length > 0 ? '' : '\nno service exited on its own';
      throw new Error(
        `${String(error)}\n${await this.whereStuck()}${exits}\n${await this.describeInstances('notification')}`,
      );
    }
  }

  /** The auditor over the three databases and the dead-letter topics; nothing left under a grace period. */
  async audit(expectedDeadLetters = 0): Promise<AuditReport> {
    const report = await auditOncePay({
      transferDatabaseUrl: this.databases.get('transfer')!.url,
      ledgerDatabaseUrl: this.databases.get('ledger')!.url,
      notificationDatabaseUrl: this.databases.get('notification')!.url,
      kafkaBrokers: this.kafkaBrokers,
      kafkaNamespace: TEST_KAFKA_NAMESPACE,
      pendingGraceMs: 0,
      holdGraceMs: 0,
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
        ...this.unexpectedExits.map((line) => `  CRASHED: ${line}`),
        `  auditor: ok=${report.ok} counts=${JSON.stringify(report.counts)}`,
        ...report.checks.map((check) => `    ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.summary}`),
        ...report.checks.flatMap((check) => check.violations.map((line) => `      ! ${line}`)),
      ].join('\n'),
    );
  }

  /**
   * Every scenario's ending: waits until each of `ids` is terminal and every terminal transfer is
   * notified, runs the auditor, prints the report, and expects the auditor clean and, with `money`,
   * the money exact. The scenario's own checks come after, on what this returns.
   */
  async settleAndAudit(options: SettleOptions): Promise<Settled> {
    const rows = await this.waitTerminal(options.ids, options.terminalTimeoutMs);
    const mix = await options.mix?.settle(options.terminalTimeoutMs);
    await options.beforeNotified?.();
    await this.waitNotified(options.notifiedTimeoutMs);
    await options.beforeAudit?.();
    const completed = rows.filter((row) => row.status === 'COMPLETED').length;
    const failed = rows.filter((row) => row.status === 'FAILED');
    const report = await this.audit(options.expectedDeadLetters);
    const settled = { rows, completed, failed, report, mix: mix?.summary };
    this.report(options.scenario, report, {
      ...options.observed?.(settled),
      ...(mix ? { mix: mix.summary } : {}),
    });
    expect(mix?.mismatches ?? []).toEqual([]);

    if (options.money) {
      const { source, sink, funded, amount } = options.money;
      // `funded` covers exactly this many transfers: no more (a double posting), no fewer (a lost one).
      expect(BigInt(completed)).toBe(funded / amount);
      expect(await this.balanceOf(source)).toBe(funded - BigInt(completed) * amount);
      expect(await this.balanceOf(sink)).toBe(BigInt(completed) * amount);
    }
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    return settled;
  }

  /** With CHAOS_LOG_DIR set: every instance's output in `<dir>/<scenario run>/<service>-<pid>.log`, to read after a run. */
  private async saveLogs(): Promise<void> {
    if (!CHAOS.logDir) return;
    const dir = path.join(
      CHAOS.logDir,
      `${new Date(this.startedAt).toISOString().replace(/[:.]/g, '-')}-${process.pid}`,
    );
    await fs.mkdir(dir, { recursive: true });
    for (const service of this.everyInstance) {
      await fs.writeFile(
        path.join(dir, `${service.name}-${service.pid}.log`),
        `${service.logs.join('\n')}\n`,
      );
    }
    console.log(`[chaos] service logs in ${dir}`);
  }

  /** Every process stopped (SIGKILL for what is left), every connection closed, every database dropped. */
  async teardown(): Promise<void> {
    this.tearingDown = true;
    for (const mix of this.mixes) mix.halt();
    await Promise.allSettled([...this.instances.values()].flat().map((service) => service.kill('SIGTERM')));
    await killAllKillableServices();
    await this.saveLogs();
    await Promise.allSettled([...this.sql.values()].map((pool) => pool.end()));
    await Promise.allSettled([...this.databases.values()].map((database) => database.drop()));
  }
}

/** How often each setback occurred across `posted`, e.g. { "connection error": 120, "HTTP 503": 3 }. */
export function tally(posted: PostedTransfer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const setback of posted.flatMap((p) => p.setbacks)) counts[setback] = (counts[setback] ?? 0) + 1;
  return counts;
}
