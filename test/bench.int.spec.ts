// A short run of the benchmark (`npm run bench`'s core) against the three real services started here on
// databases of their own: transfers are accepted and completed, the latencies are ordered, CPU and memory
// were sampled for every service, PostgreSQL (with its backends), Kafka and the load generator, the
// pgbench baseline ran on the same server, the audit is clean, and bench.json and bench.md are written.
// Then a short run of `--flows` on the same services: both phases report their costs per flow, and the
// audit is clean after the holds too.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBench, type BenchTarget } from '../scripts/bench/bench';
import { runFlows } from '../scripts/bench/flows';
import { flowCosts, renderFlowsMarkdown, type FlowsReport } from '../scripts/bench/flows-report';
import { renderMarkdown, writeReport, type BenchReport } from '../scripts/bench/report';
import { processesListeningOn } from '../scripts/bench/stack';
import {
  bootServices,
  killAllKillableServices,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  type BootedServices,
  type KillableService,
} from '@oncepay/test-support';

type Name = 'transfer' | 'ledger' | 'notification';

describe('npm run bench, a smoke run against the real services', () => {
  let stack: BootedServices<Name> | undefined;
  let report: BenchReport;
  let flows: FlowsReport;
  let outDir: string;

  beforeAll(async () => {
    const booted = await bootServices(['ledger', 'transfer', 'notification']);
    stack = booted;
    const service = (name: Name): KillableService => booted.service(name);
    const infra = processesListeningOn([
      {
        name: 'postgresql',
        kind: 'postgresql',
        port: Number(new URL(testEnv.postgresAdminUrl).port),
        includeChildren: true,
      },
      {
        name: 'kafka',
        kind: 'kafka',
        port: Number(testEnv.kafkaBrokers[0]!.split(':')[1]),
        includeChildren: false,
      },
    ]);
    const target: BenchTarget = {
      transferUrl: service('transfer').baseUrl,
      ledgerUrl: service('ledger').baseUrl,
      // The benchmark opens its own treasury, which only an operator may do.
      client: { id: TEST_CLIENTS.operator.id, apiKey: TEST_CLIENTS.operator.apiKey },
      databases: {
        transfer: booted.database('transfer').url,
        ledger: booted.database('ledger').url,
        notification: booted.database('notification').url,
      },
      postgresAdminUrl: testEnv.postgresAdminUrl,
      kafka: { brokers: testEnv.kafkaBrokers, namespace: TEST_KAFKA_NAMESPACE },
      processes: [
        ...(['transfer', 'ledger', 'notification'] as const).map((name) => ({
          name: `${name}-service`,
          kind: 'service' as const,
          pid: service(name).pid,
          includeChildren: false,
        })),
        ...infra.processes,
      ],
      description: 'the services of bench.int.spec.ts',
      notes: infra.notes,
      prefill: null,
    };
    report = await runBench(
      target,
      {
        durationS: 2,
        warmupS: 0.5,
        concurrency: 4,
        ratesPerSecond: [25],
        accounts: 10,
        settleTimeoutS: 30,
        pgbench: { binary: 'pgbench', clients: 2, threads: 1, durationS: 1, scale: 1 },
        maxSockets: 16,
        prefill: null,
      },
      () => undefined,
    );
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-bench-'));
    await writeReport(outDir, report);
    flows = await runFlows(
      target,
      { ratePerSecond: 10, warmupS: 0.5, durationS: 2, accounts: 6, settleTimeoutS: 30, pollIntervalMs: 20 },
      () => undefined,
    );
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await killAllKillableServices();
    if (outDir) await fs.rm(outDir, { recursive: true, force: true });
  });

  it('accepts and completes transfers in every phase, and every accepted one settles', () => {
    expect(report.phases.map((phase) => phase.name)).toEqual([
      'closed loop, 4 workers',
      'open loop, 25/s offered',
    ]);
    for (const phase of report.phases) {
      expect(phase.errors).toBe(0);
      expect(phase.accepted).toBeGreaterThan(0);
      expect(phase.accepted).toBe(phase.requests);
      expect(phase.acceptedPerSecond).toBeGreaterThan(0);
      expect(phase.completedPerSecond).toBeGreaterThan(0);
      expect(phase.outcomes).toEqual({ completed: phase.accepted, failed: 0, unsettled: 0 });
      expect(phase.acceptToCompletedMs.count).toBe(phase.outcomes.completed);
    }
    // The open loop sent what its schedule said: 25/s over the 2 s window.
    expect(report.phases[1]!.requests).toBe(50);
  });

  it('reports ordered, positive latencies', () => {
    for (const phase of report.phases) {
      for (const summary of [phase.acceptLatencyMs, phase.acceptToCompletedMs]) {
        expect(summary.p50).toBeGreaterThan(0);
        expect(summary.p50!).toBeLessThanOrEqual(summary.p95!);
        expect(summary.p95!).toBeLessThanOrEqual(summary.p99!);
        expect(summary.p99!).toBeLessThanOrEqual(summary.max!);
      }
    }
  });

  it('sampled CPU and memory of each service, PostgreSQL with its backends, Kafka and the load generator', () => {
    expect(report.stack.notes).toEqual([]);
    const names = report.wholeRun.map((usage) => usage.name);
    expect(names).toEqual([
      'transfer-service',
      'ledger-service',
      'notification-service',
      'postgresql',
      'kafka',
      'load generator',
    ]);
    for (const usage of report.wholeRun) {
      expect(usage.aliveAtEnd).toBe(true);
      expect(usage.samples).toBeGreaterThan(2);
      expect(usage.peakRssBytes).toBeGreaterThan(1024 * 1024);
      expect(usage.cpuSeconds).toBeGreaterThan(0);
    }
    for (const phase of report.phases) {
      for (const usage of phase.processes.filter((candidate) => candidate.kind === 'service'))
        expect(usage.cpuSeconds).toBeGreaterThan(0);
    }
    const postgres = report.wholeRun.find((usage) => usage.name === 'postgresql')!;
    expect(postgres.peakProcessCount).toBeGreaterThan(3);
    expect(postgres.peakGroupMemoryBytes).toBeGreaterThan(0);
    expect(postgres.peakGroupMemoryBytes!).toBeLessThanOrEqual(postgres.peakRssBytes);
  });

  it('measured the pgbench baseline on the same PostgreSQL (when pgbench is installed)', () => {
    const installed = spawnSync('pgbench', ['--version']).status === 0;
    if (installed) {
      expect(report.baseline).toMatchObject({ available: true });
      expect(report.baseline?.available && report.baseline.tps).toBeGreaterThan(0);
      expect(report.completedPerBaselineTps).toBeGreaterThan(0);
    } else {
      expect(report.baseline).toMatchObject({ available: false, reason: expect.stringContaining('pgbench') });
      expect(report.completedPerBaselineTps).toBeNull();
    }
  });

  it('ends with a clean audit and judges every target, a 2 s window too short for the throughput one', () => {
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.audit?.ok).toBe(true);
    expect(report.audit?.checks.every((check) => check.ok && !check.skipped)).toBe(true);
    expect(report.targets.map((target) => target.id)).toEqual([
      'throughput',
      'accept-p99',
      'completion-p99',
      'rss-transfer-service',
      'rss-ledger-service',
      'rss-notification-service',
    ]);
    expect(report.targets[0]).toMatchObject({ status: 'NOT MEASURED' });
    expect(report.targets[1]).toMatchObject({
      status: 'NOT MEASURED',
      note: expect.stringContaining('1000/s'),
    });
    for (const target of report.targets.slice(3)) expect(['PASS', 'FAIL']).toContain(target.status);
  });

  it('measured what each phase wrote, and its cost per completed transfer', () => {
    for (const phase of report.phases) {
      const { cost } = phase;
      // The whole phase's completed transfers: the window's and those of the warm-up and the settling.
      expect(cost.completedInPhase).toBeGreaterThanOrEqual(phase.outcomes.completed);
      expect(phase.completedInWindow).toBeGreaterThan(0);
      // Each completed transfer inserted at least its own row in the transfer database and its entries
      // in the ledger's, and wrote WAL.
      expect(cost.database.databases.transfer!.inserted).toBeGreaterThanOrEqual(cost.completedInPhase);
      expect(cost.database.databases.ledger!.inserted).toBeGreaterThanOrEqual(2 * cost.completedInPhase);
      expect(cost.database.walBytes).toBeGreaterThan(0);
      // At least requested, posted and its outcome, on a broker other suites may write to as well.
      expect(cost.kafka.messages).toBeGreaterThanOrEqual(3 * cost.completedInPhase);
      // The suite's broker is not one the benchmark started: no log directory to read.
      expect(cost.kafka.bytes).toBeNull();
      expect(cost.kafka.bytesNote).toContain('not measured');
      expect(cost.perTransfer.cpuMsTotal).toBeGreaterThan(0);
      expect(cost.perTransfer.cpuMsByProcess['load generator']).toBeGreaterThan(0);
      expect(cost.perTransfer.rowsTotal).toBeGreaterThan(0);
    }
  });

  it('writes bench.json and bench.md', async () => {
    const json = JSON.parse(await fs.readFile(path.join(outDir, 'bench.json'), 'utf8')) as BenchReport;
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    const markdown = await fs.readFile(path.join(outDir, 'bench.md'), 'utf8');
    expect(markdown).toBe(renderMarkdown(report));
    expect(markdown).toContain('## Targets');
    expect(markdown).toContain('| closed loop, 4 workers');
    expect(markdown).toContain('## Cost per completed transfer');
    expect(markdown).toMatch(/OncePay audit at .*: OK/);
  });

  it('--flows: both flows complete, each request and cost is reported, and the audit is clean', () => {
    expect(flows.problems).toEqual([]);
    expect(flows.ok).toBe(true);
    expect(flows.audit?.ok).toBe(true);
    expect(flows.phases.map((phase) => phase.flow)).toEqual(['one-step', 'hold-and-capture']);
    const [oneStep, hold] = flows.phases as [FlowsReport['phases'][0], FlowsReport['phases'][0]];
    expect(oneStep.requests.map((request) => request.name)).toEqual(['transfer']);
    expect(hold.requests.map((request) => request.name)).toEqual(['hold', 'capture']);
    for (const phase of flows.phases) {
      // 10/s over the 2 s window, every one accepted and final.
      expect(phase.flows).toBe(20);
      expect(phase.outcomes).toEqual({ completed: 20, failed: 0, unsettled: 0 });
      for (const request of phase.requests) expect(request.acceptMs.count).toBe(20);
      expect(phase.requestToFinalMs.count).toBe(20);
      expect(phase.completedInWindow).toBeGreaterThan(0);
      const costs = flowCosts(phase);
      expect(costs.cpuMsTotal).toBeGreaterThan(0);
      expect(costs.rowsByDatabase.transfer).toBeGreaterThan(0);
      expect(costs.rowsByDatabase.ledger).toBeGreaterThan(0);
      expect(costs.walBytes).toBeGreaterThan(0);
    }
    // The events of each flow, exactly: requested, posted, completed; requested, placed, capture requested,
    // captured, and the outcome.
    expect(flowCosts(oneStep).messages).toBe(3);
    expect(flowCosts(hold).messages).toBe(5);
    // A hold's answer comes after the ledger placed it, so it cannot be seen HELD before it was accepted.
    expect(hold.requestToFinalMs.p50!).toBeGreaterThan(hold.requests[0]!.acceptMs.p50!);
    expect(hold.polling?.queries).toBeGreaterThan(0);
    expect(hold.heldToCaptureMs?.count).toBe(20);
    expect(renderFlowsMarkdown(flows)).toMatch(/\| Kafka messages per flow +\| 3\.0 +\| 5\.0 +\| x1\.67 +\|/);
  });
});
