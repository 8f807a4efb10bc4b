// `npm run bench -- --flows`: what a hold-and-capture costs against a one-step transfer (issue #17). On
// one stack and one set of accounts, the same open-loop offered rate runs twice, each a warm-up and a
// measured window, then a wait until its flows are final and notified:
// 1. one-step: POST /v1/transfers; the flow is done at COMPLETED;
// 2. hold-and-capture: POST /v1/transfers with a hold, then, once the transfer is HELD, POST
//    .../capture (the whole amount); the flow is done at CAPTURED.
// Each phase reports completed flows/s, each request's accept latency, request-to-final latency, CPU
// per process over the window (the samplers of the benchmark), the rows, commits and WAL it wrote
// (db-counters.ts) and its Kafka messages (its outbox rows), each per completed flow; flows-report.ts
// sets them side by side. The load generator learns that a hold is HELD by asking the transfer database
// (one query for every hold waiting, every pollIntervalMs), not the API: a GET per hold per poll would
// load the transfer-service with reads that are the benchmark's, not the flow's. The poll's queries and
// their time are reported on their own. The auditor closes the run, as after the benchmark.
import type { TransferClient } from '@oncepay/client';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { setUpAccounts } from './accounts';
import {
  countAllDeadLetters,
  CURRENCY,
  FUNDING_MINOR,
  measureWindow,
  runAudit,
  transferSender,
  waitNotified,
  type BenchTarget,
} from './bench';
import { counterDelta, databaseNamesOf, readQuietCounters, type CounterReading } from './db-counters';
import type { FlowKind, FlowPhaseResult, FlowsPlan, FlowsReport } from './flows-report';
import { benchLedgerClient, benchTransferClient, failureLabel, type PostTransfer } from './http-client';
import { runOpenLoop, type SendTransfer } from './load';
import { ProcessSampler } from './process-sampler';
import { summarize } from './stats';
import { chunks, TransferDb, type FinalStatus } from './transfer-db';

/** Far beyond any run: no hold of the benchmark expires before its capture. */
const HOLD_EXPIRES_IN_SECONDS = 3600;

export async function runFlows(
  target: BenchTarget,
  plan: FlowsPlan,
  log: (line: string) => void,
): Promise<FlowsReport> {
  const startedAt = new Date();
  const loadAverageAtStart = os.loadavg();
  const problems: string[] = [];
  const deadLettersBefore = await countAllDeadLetters(target);
  const ledger = benchLedgerClient(target.ledgerUrl, target.client.apiKey, { maxSockets: 32 });
  const transfers = benchTransferClient(target.transferUrl, target.client.apiKey, { maxSockets: 256 });
  const db = await TransferDb.connect(target.databases.transfer);
  const sampler = new ProcessSampler([
    ...target.processes,
    { name: 'load generator', kind: 'load-generator', pid: process.pid, includeChildren: false },
  ]);
  const settleTimeoutMs = plan.settleTimeoutS * 1000;
  try {
    log(`opening and funding ${plan.accounts} accounts`);
    const accounts = await setUpAccounts(ledger.client, transfers.client, db, {
      count: plan.accounts,
      currency: CURRENCY,
      fundingMinor: FUNDING_MINOR,
      settleTimeoutMs,
    });
    sampler.start();
    const phases: FlowPhaseResult[] = [];
    // One reading of the counters ends a phase and starts the next: each waits for a quiet server.
    const counterDatabases = databaseNamesOf(target.databases);
    let counters = await readQuietCounters(target.postgresAdminUrl, counterDatabases);
    for (const flow of ['one-step', 'hold-and-capture'] as const) {
      log(
        `${flow}: ${plan.ratePerSecond} flows/s, ${plan.warmupS} s warm-up, then ${plan.durationS} s measured`,
      );
      const phase = await runPhase(flow, {
        target,
        plan,
        transfers: transfers.client,
        postTransfer: transfers.postTransfer,
        db,
        sampler,
        accounts: accounts.accounts,
        before: counters,
        readCounters: async () =>
          (counters = await readQuietCounters(target.postgresAdminUrl, counterDatabases)),
      });
      phases.push(phase);
      log(
        `${flow}: ${phase.completedPerSecond.toFixed(0)} completed flows/s, request-to-final p99 ` +
          `${phase.requestToFinalMs.p99?.toFixed(0) ?? '-'} ms, ${phase.outcomes.unsettled} unsettled`,
      );
      if (phase.outcomes.unsettled > 0)
        problems.push(
          `${flow}: ${phase.outcomes.unsettled} accepted flows not final after ${plan.settleTimeoutS} s`,
        );
      const failed = Object.values(phase.failures).reduce((total, n) => total + n, 0);
      if (failed > 0) problems.push(`${flow}: ${failed} requests failed`);
    }
    sampler.stop();
    const funded = await db.waitSettled(accounts.fundingIds, settleTimeoutMs);
    if (funded.unsettled > 0) problems.push(`${funded.unsettled} funding transfers not final`);
    log('auditing');
    const audit = await runAudit(target, deadLettersBefore);
    if (!audit.ok) problems.push('the audit found broken invariants');
    const cpus = os.cpus();
    return {
      ok: problems.length === 0,
      problems,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        loadAverageAtStart,
        loadAverageAtEnd: os.loadavg(),
      },
      stack: { description: target.description, notes: target.notes },
      plan,
      phases,
      audit,
    };
  } finally {
    sampler.stop();
    await Promise.all([ledger.close(), transfers.close()]);
    await db.close();
  }
}

interface PhaseContext {
  target: BenchTarget;
  plan: FlowsPlan;
  transfers: TransferClient;
  postTransfer: PostTransfer;
  db: TransferDb;
  sampler: ProcessSampler;
  accounts: readonly string[];
  /** The counters when the phase starts, and how to read them once it has settled. */
  before: CounterReading;
  readCounters: () => Promise<CounterReading>;
}

/** What the load generator saw of one hold after it was accepted. */
interface CaptureStep {
  /** Accept latency of the capture request, from the moment HELD was seen; null when it was not sent. */
  acceptMs: number | null;
  /** HELD (server clock) to the capture request leaving (load generator's clock, the same wall clock). */
  heldToCaptureMs: number | null;
  /**
   * Why the flow stopped before its capture was accepted; null when it was, and when the ledger refused
   * the hold (FAILED: a final outcome, counted with the outcomes, not a failed request).
   */
  failure: string | null;
}

async function runPhase(flow: FlowKind, context: PhaseContext): Promise<FlowPhaseResult> {
  const { target, plan, transfers, db, sampler } = context;
  const finalStatus: FinalStatus = flow === 'one-step' ? 'COMPLETED' : 'CAPTURED';

  const dueWallMs = new Map<string, number>();
  const captures = new Map<string, Promise<CaptureStep>>();
  const poller = flow === 'hold-and-capture' ? await HeldPoller.start(target.databases.transfer, plan) : null;
  const first = transferSender(
    context.postTransfer,
    context.accounts,
    flow === 'hold-and-capture' ? { hold: { expiresInSeconds: HOLD_EXPIRES_IN_SECONDS } } : {},
  );
  const send: SendTransfer = async (dueAt) => {
    const outcome = await first(dueAt);
    if (outcome.transferId !== null) {
      dueWallMs.set(outcome.transferId, performance.timeOrigin + dueAt);
      if (poller) captures.set(outcome.transferId, captureWhenHeld(outcome.transferId, poller, transfers));
    }
    return outcome;
  };
  let measured: Awaited<ReturnType<typeof measureWindow>>;
  let steps: Map<string, CaptureStep>;
  try {
    measured = await measureWindow(sampler, plan, () =>
      runOpenLoop(send, {
        ratePerSecond: plan.ratePerSecond,
        warmupMs: plan.warmupS * 1000,
        durationMs: plan.durationS * 1000,
      }),
    );
    steps = new Map(await Promise.all([...captures].map(async ([id, step]) => [id, await step] as const)));
  } finally {
    await poller?.stop();
  }
  const { samples, usage } = measured;

  // The flows that can reach a final status: every accepted one-step; a hold whose capture was accepted,
  // or that the ledger refused (FAILED). One whose capture failed rests HELD and is counted as a failure.
  const finishing = samples.acceptedIds.filter((id) => {
    const step = steps.get(id);
    return step === undefined || step.failure === null;
  });
  await db.waitSettled(finishing, plan.settleTimeoutS * 1000, finalStatus);
  await waitNotified(target.databases.notification, db, plan.settleTimeoutS * 1000);
  const after = await context.readCounters();

  const windowIds = new Set(samples.windowIds);
  const failures = { ...samples.failures };
  for (const [id, step] of steps)
    if (windowIds.has(id) && step.failure !== null)
      failures[step.failure] = (failures[step.failure] ?? 0) + 1;
  const windowSteps = [...steps].filter(([id]) => windowIds.has(id)).map(([, step]) => step);

  const finalTimes = await db.finalTimesMs(samples.windowIds, finalStatus);
  const requestToFinal: number[] = [];
  for (const [id, finalMs] of finalTimes) requestToFinal.push(finalMs - dueWallMs.get(id)!);
  const phaseFinal = await db.finalTimesMs(samples.acceptedIds, finalStatus);
  const completedEachSecond = await db.completionsPerSecond(
    samples.acceptedIds,
    samples.window.from,
    samples.window.seconds,
    finalStatus,
  );
  const completedInWindow = completedEachSecond.reduce((total, n) => total + n, 0);
  const settlement = await db.settlement(samples.windowIds, finalStatus);

  return {
    flow,
    window: { from: samples.window.from.toISOString(), to: samples.window.to.toISOString() },
    flows: samples.windowRequests,
    accepted: samples.windowIds.length,
    failures,
    completedPerSecond: completedInWindow / samples.window.seconds,
    completedInWindow,
    requests: [
      { name: flow === 'one-step' ? 'transfer' : 'hold', acceptMs: summarize(samples.acceptLatenciesMs) },
      ...(flow === 'one-step'
        ? []
        : [
            {
              name: 'capture',
              acceptMs: summarize(
                windowSteps.flatMap((step) => (step.acceptMs === null ? [] : [step.acceptMs])),
              ),
            },
          ]),
    ],
    requestToFinalMs: summarize(requestToFinal),
    heldToCaptureMs:
      flow === 'one-step'
        ? null
        : summarize(
            windowSteps.flatMap((step) => (step.heldToCaptureMs === null ? [] : [step.heldToCaptureMs])),
          ),
    outcomes: settlement,
    processes: usage,
    phaseFlows: phaseFinal.size,
    database: counterDelta(context.before, after),
    messagesByTopic: await outboxRowsByTopic(target, [...phaseFinal.keys()]),
    polling: poller ? poller.cost() : null,
  };
}

/** Waits until the hold is no longer PENDING; captures it whole if it is HELD. Never rejects. */
async function captureWhenHeld(id: string, poller: HeldPoller, client: TransferClient): Promise<CaptureStep> {
  const seen = await poller.whenPlaced(id);
  if (seen === null) return { acceptMs: null, heldToCaptureMs: null, failure: poller.missReason };
  if (seen.status === 'FAILED') return { acceptMs: null, heldToCaptureMs: null, failure: null };
  if (seen.status !== 'HELD')
    return { acceptMs: null, heldToCaptureMs: null, failure: `hold ${seen.status}` };
  const heldToCaptureMs = Date.now() - seen.updatedAtMs;
  const sentAt = performance.now();
  try {
    const { response } = await client.POST('/v1/transfers/{id}/capture', {
      params: { path: { id }, header: { 'Idempotency-Key': randomUUID() } },
      body: {},
    });
    const acceptMs = performance.now() - sentAt;
    return {
      acceptMs: response.status === 202 ? acceptMs : null,
      heldToCaptureMs,
      failure: response.status === 202 ? null : `capture HTTP ${response.status}`,
    };
  } catch (error) {
    return { acceptMs: null, heldToCaptureMs, failure: `capture ${failureLabel(error)}` };
  }
}

/**
 * Tells the load generator when each hold left PENDING: one query for every hold waiting, every
 * `pollIntervalMs`, on a connection of its own. Its queries and their time are counted, to be reported
 * apart from the flows' own cost. A hold not seen within the settle timeout resolves null.
 */
class HeldPoller {
  private readonly waiting = new Map<
    string,
    { deadline: number; resolve: (seen: { status: string; updatedAtMs: number } | null) => void }
  >();
  private running = true;
  private failure: string | null = null;
  private queries = 0;
  private queryMs = 0;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: Client,
    private readonly plan: FlowsPlan,
  ) {}

  static async start(url: string, plan: FlowsPlan): Promise<HeldPoller> {
    const client = new Client({ connectionString: url });
    await client.connect();
    const poller = new HeldPoller(client, plan);
    poller.loop = poller.run();
    return poller;
  }

  whenPlaced(id: string): Promise<{ status: string; updatedAtMs: number } | null> {
    return new Promise((resolve) => {
      // A poller that stopped (or failed) answers at once: nothing would ever resolve the wait.
      if (!this.running) resolve(null);
      else this.waiting.set(id, { deadline: Date.now() + this.plan.settleTimeoutS * 1000, resolve });
    });
  }

  /** Why a hold resolved null: the poll's own failure, or the hold's never leaving PENDING. */
  get missReason(): string {
    return this.failure ?? 'hold never left PENDING';
  }

  cost(): { queries: number; queryMs: number } {
    return { queries: this.queries, queryMs: this.queryMs };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const { resolve } of this.waiting.values()) resolve(null);
    this.waiting.clear();
    await this.client.end();
  }

  private async run(): Promise<void> {
    try {
      await this.pollUntilStopped();
    } catch (error) {
      // Counted against every hold still waiting (its flow fails), never left hanging.
      this.failure = `poll for HELD failed: ${failureLabel(error)}`;
      this.running = false;
      for (const { resolve } of this.waiting.values()) resolve(null);
      this.waiting.clear();
    }
  }

  private async pollUntilStopped(): Promise<void> {
    while (this.running) {
      await sleep(this.plan.pollIntervalMs);
      if (this.waiting.size === 0) continue;
      const started = performance.now();
      for (const chunk of chunks([...this.waiting.keys()])) {
        const { rows } = await this.client.query<{ id: string; status: string; ms: number }>(
          `SELECT id::text AS id, status::text AS status, (extract(epoch FROM updated_at) * 1000)::float8 AS ms
             FROM transfers WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`,
          [chunk],
        );
        this.queries += 1;
        for (const row of rows) {
          this.waiting.get(row.id)?.resolve({ status: row.status, updatedAtMs: row.ms });
          this.waiting.delete(row.id);
        }
      }
      this.queryMs += performance.now() - started;
      const now = Date.now();
      for (const [id, { deadline, resolve }] of this.waiting)
        if (now >= deadline) {
          resolve(null);
          this.waiting.delete(id);
        }
    }
  }
}

/** Outbox rows (each one Kafka message once published) whose key is one of `ids`, by topic. */
async function outboxRowsByTopic(
  target: BenchTarget,
  ids: readonly string[],
): Promise<Record<string, number>> {
  const byTopic: Record<string, number> = {};
  for (const url of [target.databases.transfer, target.databases.ledger]) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      for (const chunk of chunks(ids)) {
        const { rows } = await client.query<{ topic: string; n: number }>(
          `SELECT topic, count(*)::int AS n FROM outbox_messages WHERE key = ANY($1::text[]) GROUP BY topic`,
          [chunk],
        );
        for (const row of rows) byTopic[row.topic] = (byTopic[row.topic] ?? 0) + row.n;
      }
    } finally {
      await client.end();
    }
  }
  return byTopic;
}
