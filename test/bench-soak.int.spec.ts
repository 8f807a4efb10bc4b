// A short soak (`npm run bench -- --soak`'s core) against the three real services started here with the
// soak's environment (a 3 s retention window, retention every second): every sample holds every
// bookkeeping table and completed/s, retention deleted what fell out of the window while the load ran,
// every transfer settled, the audit is clean, and soak.json and soak.md are written. Whether the tables
// were flat is the real soak's question (docs/performance.md); 20 s on a shared CI machine does not
// answer it, so the verdict is checked for its shape only (test/bench-soak.spec.ts checks its logic).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchTarget } from '../scripts/bench/bench';
import {
  renderSoakMarkdown,
  runSoak,
  soakServiceEnv,
  SOAK_TABLES,
  writeSoakReport,
  type SoakPlan,
  type SoakReport,
} from '../scripts/bench/soak';
import {
  bootServices,
  killAllKillableServices,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  type BootedServices,
} from '@oncepay/test-support';

type Name = 'transfer' | 'ledger' | 'notification';

const PLAN: SoakPlan = {
  durationS: 20,
  ratePerSecond: 20,
  retentionWindowS: 3,
  retentionIntervalS: 1,
  sampleEveryS: 2,
  tolerance: 0.1,
  accounts: 10,
  settleTimeoutS: 30,
};

describe('npm run bench -- --soak, a short soak against the real services', () => {
  let stack: BootedServices<Name> | undefined;
  let report: SoakReport;
  let outDir: string;

  beforeAll(async () => {
    const soakEnv = { ...soakServiceEnv(PLAN), LOG_LEVEL: 'warn' };
    const booted = await bootServices(['ledger', 'transfer', 'notification'], {
      ledger: soakEnv,
      transfer: soakEnv,
      notification: soakEnv,
    });
    stack = booted;
    const target: BenchTarget = {
      transferUrl: booted.baseUrl('transfer'),
      ledgerUrl: booted.baseUrl('ledger'),
      client: { id: TEST_CLIENTS.operator.id, apiKey: TEST_CLIENTS.operator.apiKey },
      databases: {
        transfer: booted.database('transfer').url,
        ledger: booted.database('ledger').url,
        notification: booted.database('notification').url,
      },
      postgresAdminUrl: testEnv.postgresAdminUrl,
      kafka: { brokers: testEnv.kafkaBrokers, namespace: TEST_KAFKA_NAMESPACE },
      processes: [],
      description: 'the services of bench-soak.int.spec.ts',
      notes: [],
      prefill: null,
    };
    report = await runSoak(target, PLAN, () => undefined);
    outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-soak-'));
    await writeSoakReport(outDir, report);
  }, 150_000);

  afterAll(async () => {
    await stack?.stop();
    await killAllKillableServices();
    if (outDir) await fs.rm(outDir, { recursive: true, force: true });
  });

  it('offered the steady rate for the whole duration, and every transfer settled with a clean audit', () => {
    expect(report.load).toEqual({ requests: 400, accepted: 400, failures: {} });
    expect(report.audit?.ok).toBe(true);
    // Only the verdict may complain: 20 s on a shared machine says nothing about flatness.
    expect(report.problems.filter((problem) => !/: (growing|unsteady|inconclusive)$/.test(problem))).toEqual(
      [],
    );
  });

  it('sampled every table and completed/s throughout, and retention deleted what left the window', () => {
    expect(report.samples.length).toBeGreaterThanOrEqual(5);
    for (const sample of report.samples)
      for (const spec of SOAK_TABLES) {
        expect(sample.rows[`${spec.database}.${spec.table}`]).toBeGreaterThanOrEqual(0);
        expect(sample.bytes[`${spec.database}.${spec.table}`]).toBeGreaterThan(0);
      }
    expect(report.samples.some((sample) => sample.completedPerSecond > 0)).toBe(true);
    // 400 transfers went through each table; by the end most were past the 3 s window.
    const last = report.samples.at(-1)!;
    for (const spec of SOAK_TABLES)
      expect(last.rows[`${spec.database}.${spec.table}`]).toBeLessThan(report.load.accepted);
  });

  it('judges completed/s and the rows and bytes of every table', () => {
    expect(report.verdict.series.map((series) => series.name)).toEqual([
      'completed/s',
      ...SOAK_TABLES.map((spec) => `${spec.database}.${spec.table} rows`),
    ]);
    expect(report.sizeVerdict.series.map((series) => series.name)).toEqual(
      SOAK_TABLES.map((spec) => `${spec.database}.${spec.table} bytes`),
    );
    expect(report.verdict.steadyFromS).toBe(3 + 2 * 1 + 2);
  });

  it('writes soak.json and soak.md', async () => {
    const json = JSON.parse(await fs.readFile(path.join(outDir, 'soak.json'), 'utf8')) as SoakReport;
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    const markdown = await fs.readFile(path.join(outDir, 'soak.md'), 'utf8');
    expect(markdown).toBe(renderSoakMarkdown(report));
    expect(markdown).toContain('## Samples');
    expect(markdown).toMatch(/OncePay audit at .*: OK/);
  });
});
