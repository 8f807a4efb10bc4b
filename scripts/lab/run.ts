// `npm run lab`: the delivery-semantics lab. Starts PostgreSQL and Kafka unless a local stack already
// runs (and then stops only what it started), runs the seeded plan in the modes asked for (all six by
// default), prints the table and writes the report. Exit code 0 when the lab ran and effectively-once
// (when run) came out clean, 1 when it did not (that would be a bug in OncePay's discipline), 2 on a
// usage error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { findRunningInfra, startLocalInfra, type LocalInfra } from '../infra/local-infra';
import { DATA_DIR, REPO_ROOT } from '../infra/paths';
import { parseCliOptions, USAGE } from './cli-options';
import { randomSeed } from './random';
import { renderMarkdown, repeatCommand, reportJson, resultsTable } from './report';
import { renderSvg } from './svg';
import { isClean } from './tally';

const INFRA_STATE_DIR = path.join(DATA_DIR, 'lab-infra');
const REPORT_FILE = 'lab-report.md';
const CHART_FILE = 'lab-report.svg';
const JSON_FILE = 'lab-report.json';

const log = (line: string): void => console.log(`[lab] ${line}`);

async function main(): Promise<number> {
  const options = parseCliOptions(process.argv.slice(2), { randomSeed, outDir: path.join(DATA_DIR, 'lab') });
  if (options.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (options.kind === 'usage-error') {
    console.error(`[lab] ${options.message}\n\n${USAGE}`);
    return 2;
  }
  log(`seed ${options.seed}; repeat with: ${repeatCommand(options)}`);
  const startedAt = Date.now();
  buildPackages();
  const infra = await bringUpInfra();
  const stopInfra = once(() => infra.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopInfra().finally(() => process.exit(130)));
  }
  try {
    // Imported only now: it loads the workspace packages, which buildPackages has just brought up to date.
    const { runLab } = await import('./lab.js');
    const lab = await runLab({
      ...options,
      infra: { postgresAdminUrl: infra.postgresAdminUrl, kafkaBrokers: infra.kafkaBrokers.split(',') },
      log,
    });
    const outDir = path.resolve(options.outDir);
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, REPORT_FILE), renderMarkdown(lab, CHART_FILE));
    await fs.writeFile(path.join(outDir, CHART_FILE), renderSvg(lab));
    await fs.writeFile(path.join(outDir, JSON_FILE), `${JSON.stringify(reportJson(lab), null, 2)}\n`);
    console.log(`\n${resultsTable(lab.results)}\n`);
    log(`report: ${path.join(outDir, REPORT_FILE)}, with ${CHART_FILE} and ${JSON_FILE} beside it`);
    log(`ran in ${formatSeconds(Date.now() - startedAt)}`);
    log(`seed ${options.seed}; repeat with: ${repeatCommand(options)}`);
    const effectivelyOnce = lab.results.find((result) => result.mode === 'effectively-once');
    if (effectivelyOnce && !isClean(effectivelyOnce.tally)) {
      console.error('[lab] effectively-once lost, repeated or misbooked something: that is a bug');
      return 1;
    }
    return 0;
  } finally {
    await stopInfra();
  }
}

/** The lab's processes load the workspace packages from their dist/; turbo rebuilds only what changed. */
function buildPackages(): void {
  const turbo = path.join(REPO_ROOT, 'node_modules', 'turbo', 'bin', 'turbo');
  execFileSync(
    process.execPath,
    [
      turbo,
      'run',
      'build',
      '--filter=@oncepay/messaging',
      '--filter=@oncepay/dedup',
      '--output-logs=errors-only',
    ],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
}

async function bringUpInfra(): Promise<LocalInfra> {
  const running = await findRunningInfra();
  if (running) {
    log('using the PostgreSQL and Kafka already running');
    return running;
  }
  await fs.rm(INFRA_STATE_DIR, { recursive: true, force: true });
  log('starting PostgreSQL and Kafka');
  return startLocalInfra(INFRA_STATE_DIR, log);
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

/** Every cause of a failed lab, one per mode that failed. */
function describeFailure(error: unknown): string {
  const causes = error instanceof AggregateError ? error.errors : [error];
  return causes
    .map(
      (cause: unknown) => `[lab] ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`,
    )
    .join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describeFailure(error));
    process.exit(1);
  },
);
