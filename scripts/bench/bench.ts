// The benchmark itself, against services it is given (URLs, databases, process ids): `npm run bench`
// gives it a local stack (stack.ts), the smoke test gives it the services it started. In order:
// 1. the pgbench baseline on the same PostgreSQL, before any OncePay load;
// 2. accounts, opened and funded through the public APIs;
// 3. a closed-loop phase, then one open-loop phase per offered rate, each a warm-up and a measured
//    window, each followed by a bounded wait until its transfers settled and were notified (so phases
//    do not overlap), CPU and memory sampled throughout; PostgreSQL's and Kafka's write counters read
//    on a quiet server between phases, for each phase's cost per transfer (cost.ts);
// 4. the auditor over the three databases and the dead-letter topics: any broken invariant fails the run.
import type { RequestTransfer } from '@oncepay/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client } from 'pg';
import { auditOncePay } from '../../apps/auditor/src/auditor';
import { countDeadLetters } from '../../apps/auditor/src/dead-letters';
import { formatReport } from '../../apps/auditor/src/format-report';
import { setUpAccounts } from './accounts';
import { unitCosts } from './cost';
import { counterDelta, databaseNamesOf, readQuietCounters, type CounterReading } from './db-counters';
import { benchLedgerClient, benchTransferClient, failureLabel, type PostTransfer } from './http-client';
import { kafkaDelta, readKafka, type KafkaReading } from './kafka-counters';
import { runClosedLoop, runOpenLoop, type LoadSamples, type SendTransfer } from './load';
import { runPgbenchBaseline } from './pgbench';
import type { PrefillReport } from './prefill';
import {
  ProcessSampler,
  type MonitoredProcess,
  type ProcessUsage,
  type SamplingWindow,
} from './process-sampler';
import type { AuditSummary, BenchPlan, BenchReport, PhaseCost, PhaseResult } from './report';
import { summarize } from './stats';
import { evaluateTargets } from './targets';
import { TransferDb } from './transfer-db';

export interface BenchTarget {
  transferUrl: string;
  ledgerUrl: string;
  /** The API client the load is sent as: an operator, since the benchmark opens its own treasury. */
  client: { id: string; apiKey: string };
  databases: { transfer: string; ledger: string; notification: string };
  /** The `postgres` database of the same server, for pgbench's scratch database. */
  postgresAdminUrl: string;
  kafka: { brokers: string[]; namespace: string };
  /** The processes to sample; the load generator (this process) is added by the benchmark. */
  processes: MonitoredProcess[];
  /**
   * The broker's log directory when the benchmark started the broker (its Kafka bytes per transfer are
   * the growth of the partitions' segments there); absent or null: not measured.
   */
  kafkaLogDir?: string | null;
  /** What stack this is, for the report, and anything the reader should know about it. */
  description: string;
  notes: string[];
  /** The history written into its tables before its services started (--prefill), or null. */
  prefill: PrefillReport | null;
}

export const CURRENCY = 'EUR' as const;
/** Each account's opening balance: far more than the random walk of 1..100 minor-unit transfers moves. */
export const FUNDING_MINOR = 10_000_000n;
const MAX_AMOUNT_MINOR = 100;

export async function runBench(
  target: BenchTarget,
  plan: BenchPlan,
  log: (line: string) => void,
): Promise<BenchReport> {
  const startedAt = new Date();
  const loadAverageAtStart = os.loadavg();
  const problems: string[] = [];
  const deadLettersBefore = await countAllDeadLetters(target);
  const baseline = plan.pgbench ? await runPgbenchBaseline(target.postgresAdminUrl, plan.pgbench, log) : null;
  if (baseline?.available) log(`pgbench: ${baseline.tps.toFixed(0)} tps`);
  else if (baseline) log(`pgbench baseline not available: ${baseline.reason}`);

  const ledger = benchLedgerClient(target.ledgerUrl, target.client.apiKey, { maxSockets: 32 });
  const transfers = benchTransferClient(target.transferUrl, target.client.apiKey, {
    maxSockets: plan.maxSockets,
  });
  const db = await TransferDb.connect(target.databases.transfer);
  const sampler = new ProcessSampler([
    ...target.processes,
    { name: 'load generator', kind: 'load-generator', pid: process.pid, includeChildren: false },
  ]);
  const settleTimeoutMs = plan.settleTimeoutS * 1000;
  try {
    log(`opening and funding ${plan.accounts} accounts`);
    const setupStarted = Date.now();
    const accounts = await setUpAccounts(ledger.client, transfers.client, db, {
      count: plan.accounts,
      currency: CURRENCY,
      fundingMinor: FUNDING_MINOR,
      settleTimeoutMs,
    });
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    const send = transferSender(transfers.postTransfer, accounts.accounts);
    // One reading of the write counters ends a phase and starts the next; the set-up's notifications
    // are written before the first.
    await waitNotified(target.databases.notification, db, settleTimeoutMs);
    const counters = writeCounters(target);
    let reading = await counters.read();

    sampler.start();
    const whole = await sampler.openWindow();
    const phases: PhaseResult[] = [];
    const allIds: string[] = [...accounts.fundingIds];
    const phase = async (
      name: string,
      shape: Pick<PhaseResult, 'mode' | 'concurrency' | 'offeredPerSecond'>,
      load: () => Promise<LoadSamples>,
    ): Promise<void> => {
      log(`${name}: ${plan.warmupS} s warm-up, then ${plan.durationS} s measured`);
      const measured = await measureWindow(sampler, plan, load);
      log(
        `${name}: waiting (at most ${plan.settleTimeoutS} s) for ${measured.samples.acceptedIds.length} transfers to settle`,
      );
      for (const id of measured.samples.acceptedIds) allIds.push(id);
      const summary = await summarizePhase(
        db,
        name,
        shape,
        plan,
        measured.samples,
        measured.usage,
        settleTimeoutMs,
      );
      await waitNotified(target.databases.notification, db, settleTimeoutMs);
      const before = reading;
      reading = await counters.read();
      const completedInPhase = (await db.settlement(measured.samples.acceptedIds)).completed;
      const result: PhaseResult = {
        ...summary,
        cost: phaseCost(summary, completedInPhase, before, reading),
      };
      phases.push(result);
      log(
        `${name}: ${result.acceptedPerSecond.toFixed(0)} accepted/s, ${result.completedPerSecond.toFixed(0)} completed/s, ` +
          `accept p99 ${result.acceptLatencyMs.p99?.toFixed(1) ?? '-'} ms, ` +
          `accept→COMPLETED p99 ${result.acceptToCompletedMs.p99?.toFixed(1) ?? '-'} ms, ${result.errors} errors`,
      );
    };
    if (plan.concurrency > 0) {
      const concurrency = plan.concurrency;
      await phase(
        `closed loop, ${concurrency} workers`,
        { mode: 'closed', concurrency, offeredPerSecond: null },
        () => runClosedLoop(send, { concurrency, ...timing(plan) }),
      );
    }
    for (const rate of plan.ratesPerSecond) {
      await phase(
        `open loop, ${rate}/s offered`,
        { mode: 'open', concurrency: null, offeredPerSecond: rate },
        () => runOpenLoop(send, { ratePerSecond: rate, ...timing(plan) }),
      );
    }
    const wholeRun = await whole.close();
    sampler.stop();
    for (const usage of wholeRun) {
      if (!usage.aliveAtEnd) problems.push(`${usage.name} (pid ${usage.pid}) was gone by the end of the run`);
    }

    const final = await db.waitSettled(allIds, settleTimeoutMs);
    if (final.unsettled > 0)
      problems.push(`${final.unsettled} accepted transfers still PENDING after ${plan.settleTimeoutS} s`);
    log('waiting for the notifications, then auditing');
    await waitNotified(target.databases.notification, db, settleTimeoutMs);
    const audit = await runAudit(target, deadLettersBefore);
    if (!audit.ok) problems.push('the audit found broken invariants');

    const closed = phases.find((candidate) => candidate.mode === 'closed');
    return {
      ok: problems.length === 0,
      problems,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGb: os.totalmem() / 1024 ** 3,
        node: process.version,
        kernel: os.release(),
        loadAverageAtStart,
        loadAverageAtEnd: os.loadavg(),
      },
      stack: { description: target.description, notes: target.notes },
      plan,
      prefill: target.prefill,
      setup: {
        accounts: accounts.accounts.length,
        fundedMinorEach: FUNDING_MINOR.toString(),
        seconds: setupSeconds,
      },
      baseline,
      completedPerBaselineTps:
        closed && baseline?.available && baseline.tps > 0 ? closed.completedPerSecond / baseline.tps : null,
      phases,
      wholeRun,
      audit,
      targets: evaluateTargets(phases, wholeRun),
      // Written when the services exit, after this: run.ts adds them once it has stopped the stack.
      cpuProfiles: null,
    };
  } finally {
    sampler.stop();
    await Promise.all([ledger.close(), transfers.close()]);
    await db.close();
  }
}

function timing(plan: BenchPlan): { warmupMs: number; durationMs: number } {
  return { warmupMs: plan.warmupS * 1000, durationMs: plan.durationS * 1000 };
}

/**
 * Transfers of 1..MAX_AMOUNT_MINOR between two different random accounts, each with a new key; `extra`
 * goes into every body (a `hold`, for the flows mode's two-phase transfers).
 */
export function transferSender(
  post: PostTransfer,
  accounts: readonly string[],
  extra: Pick<RequestTransfer, 'hold'> = {},
): SendTransfer {
  if (accounts.length < 2) throw new Error('the load needs at least two accounts');
  return async () => {
    const from = Math.floor(Math.random() * accounts.length);
    let to = Math.floor(Math.random() * (accounts.length - 1));
    if (to >= from) to += 1;
    try {
      const answer = await post(
        {
          fromAccountId: accounts[from]!,
          toAccountId: accounts[to]!,
          amount: String(1 + Math.floor(Math.random() * MAX_AMOUNT_MINOR)),
          currency: CURRENCY,
          ...extra,
        },
        randomUUID(),
      );
      if (answer.transfer === null) return { transferId: null, failure: `HTTP ${answer.status}` };
      return { transferId: answer.transfer.id, failure: null };
    } catch (error) {
      return { transferId: null, failure: failureLabel(error) };
    }
  };
}

/** Runs the load with a sampling window open exactly over its measured part (after the warm-up). */
export async function measureWindow(
  sampler: ProcessSampler,
  plan: Pick<BenchPlan, 'warmupS' | 'durationS'>,
  load: () => Promise<LoadSamples>,
): Promise<{ samples: LoadSamples; usage: ProcessUsage[] }> {
  let window: Promise<SamplingWindow> | undefined;
  let usage: Promise<ProcessUsage[]> | undefined;
  // Both promises are kept and awaited below; the timers only start them.
  const opener = setTimeout(() => {
    window = sampler.openWindow();
  }, plan.warmupS * 1000);
  const closer = setTimeout(
    () => {
      usage = (window ?? sampler.openWindow()).then((open) => open.close());
    },
    (plan.warmupS + plan.durationS) * 1000,
  );
  const samples = await load();
  // The load returns once its last answers are in, after the window; should a timer still be pending
  // (an event loop too busy to run it), the window closes now.
  clearTimeout(opener);
  clearTimeout(closer);
  usage ??= (window ?? sampler.openWindow()).then((open) => open.close());
  return { samples, usage: await usage };
}

/** PostgreSQL's and Kafka's cumulative write counters, read on a quiet server. */
interface WriteReading {
  database: CounterReading;
  kafka: KafkaReading;
}

function writeCounters(target: BenchTarget): { read(): Promise<WriteReading> } {
  const databases = databaseNamesOf(target.databases);
  return {
    async read() {
      // readQuietCounters waits QUIET_MS first; Kafka's offsets are exact at once, so read after it.
      const database = await readQuietCounters(target.postgresAdminUrl, databases);
      return { database, kafka: await readKafka(target.kafka.brokers, target.kafkaLogDir ?? null) };
    },
  };
}

/** What the phase wrote between two readings, and its cost per completed transfer (cost.ts). */
export function phaseCost(
  phase: Pick<PhaseResult, 'processes' | 'completedInWindow'>,
  completedInPhase: number,
  before: WriteReading,
  after: WriteReading,
): PhaseCost {
  const database = counterDelta(before.database, after.database);
  const kafka = kafkaDelta(before.kafka, after.kafka);
  return {
    completedInPhase,
    database,
    kafka,
    perTransfer: unitCosts({
      processes: phase.processes,
      completedInWindow: phase.completedInWindow,
      completedInPhase,
      database,
      messages: kafka.messages,
      kafkaBytes: kafka.bytes,
    }),
  };
}

async function summarizePhase(
  db: TransferDb,
  name: string,
  shape: Pick<PhaseResult, 'mode' | 'concurrency' | 'offeredPerSecond'>,
  plan: BenchPlan,
  samples: LoadSamples,
  usage: ProcessUsage[],
  settleTimeoutMs: number,
): Promise<Omit<PhaseResult, 'cost'>> {
  // Everything the phase accepted settles (or the wait ends) before the next phase starts.
  await db.waitSettled(samples.acceptedIds, settleTimeoutMs);
  const outcomes = await db.settlement(samples.windowIds);
  const completedEachSecond = await db.completionsPerSecond(
    samples.acceptedIds,
    samples.window.from,
    samples.window.seconds,
  );
  const completedInWindow = completedEachSecond.reduce((sum, n) => sum + n, 0);
  const errors = Object.values(samples.failures).reduce((sum, n) => sum + n, 0);
  return {
    name,
    ...shape,
    warmupS: plan.warmupS,
    durationS: plan.durationS,
    window: { from: samples.window.from.toISOString(), to: samples.window.to.toISOString() },
    requests: samples.windowRequests,
    accepted: samples.windowIds.length,
    errors,
    failures: samples.failures,
    acceptedPerSecond: samples.acceptedInWindow / samples.window.seconds,
    completedPerSecond: completedInWindow / samples.window.seconds,
    completedInWindow,
    completedEachSecond,
    acceptLatencyMs: summarize(samples.acceptLatenciesMs),
    acceptToCompletedMs: summarize(await db.completionLatenciesMs(samples.windowIds)),
    sendLagMs: shape.mode === 'open' ? summarize(samples.sendLagsMs) : null,
    outcomes,
    processes: usage,
  };
}

/** Dead letters before the run, summed over OncePay's dead-letter topics: the audit expects no more. */
export async function countAllDeadLetters(target: BenchTarget): Promise<number> {
  const counts = await countDeadLetters(target.kafka.brokers, target.kafka.namespace);
  return Number(counts.reduce((sum, count) => sum + count.messages, 0n));
}

/** Waits (bounded) until every terminal transfer has its notification; the audit judges what is missing. */
export async function waitNotified(
  notificationUrl: string,
  db: TransferDb,
  timeoutMs: number,
): Promise<void> {
  const client = new Client({ connectionString: notificationUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    const terminal = await db.terminalCount();
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications`);
      if ((rows[0]?.n ?? 0) >= terminal) return;
      await sleep(250);
    }
  } finally {
    await client.end();
  }
}

/** The auditor with no grace: by now every transfer has settled and been notified, or it is a violation. */
export async function runAudit(target: BenchTarget, deadLettersBefore: number): Promise<AuditSummary> {
  const report = await auditOncePay({
    transferDatabaseUrl: target.databases.transfer,
    ledgerDatabaseUrl: target.databases.ledger,
    notificationDatabaseUrl: target.databases.notification,
    kafkaBrokers: target.kafka.brokers,
    kafkaNamespace: target.kafka.namespace,
    pendingGraceMs: 0,
    expectedDeadLetters: deadLettersBefore,
  });
  return {
    ok: report.ok,
    text: formatReport(report),
    checks: report.checks.map(({ name, ok, skipped, summary, violationCount }) => ({
      name,
      ok,
      skipped,
      summary,
      violationCount,
    })),
    deadLettersBefore,
  };
}
