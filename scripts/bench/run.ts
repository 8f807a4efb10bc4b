// `npm run bench`: measures OncePay on this machine (see options.ts for the flags, bench.ts for what is
// measured and how) and writes bench.json and bench.md (with --cpu-profile, the services' profiles
// too); with --soak, runs soak.ts instead and writes soak.json and soak.md; with --flows, runs flows.ts
// (a hold-and-capture against a one-step transfer) and writes flows.json and flows.md. Exit code 0 when
// the audit is clean (and a soak's tables stayed flat), 1 when an invariant broke, a soak's tables grew
// or the run went wrong, 2 on a usage or start-up error.
import { runBench } from './bench';
import { cpuProfileFlags, readServiceProfiles } from './cpu-profile';
import { runFlows } from './flows';
import { renderFlowsMarkdown, writeFlowsReport } from './flows-report';
import { parseBenchOptions, USAGE } from './options';
import { renderMarkdown, writeReport } from './report';
import { renderSoakMarkdown, runSoak, soakServiceEnv, writeSoakReport } from './soak';
import { useOrStartStack, type BenchStack } from './stack';

const EXIT = { ok: 0, failed: 1, error: 2 } as const;

function log(line: string): void {
  console.log(`[bench] ${line}`);
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options.kind === 'help') {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (options.kind === 'usage-error') {
    console.error(`[bench] ${options.message}\n\n${USAGE}`);
    return EXIT.error;
  }
  let stack: BenchStack;
  try {
    stack = await useOrStartStack(
      options.logLevel,
      log,
      options.kind === 'soak'
        ? { env: soakServiceEnv(options.plan) }
        : options.kind === 'flows'
          ? {}
          : {
              env: Object.keys(options.serviceEnv).length > 0 ? options.serviceEnv : undefined,
              prefill: options.plan.prefill,
              nodeFlags: options.cpuProfileDir ? cpuProfileFlags(options.cpuProfileDir) : undefined,
            },
    );
  } catch (error) {
    console.error(`[bench] ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
  const stopStack = once(() => stack.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopStack().finally(() => process.exit(130)));
  }
  try {
    if (options.kind === 'soak') {
      const report = await runSoak(stack.target, options.plan, log);
      const written = await writeSoakReport(options.outDir, report);
      console.log(`\n${renderSoakMarkdown(report)}`);
      log(`wrote ${written.json} and ${written.markdown}`);
      if (!report.ok) console.error(`[bench] FAILED: ${report.problems.join('; ')}`);
      return report.ok ? EXIT.ok : EXIT.failed;
    }
    if (options.kind === 'flows') {
      const report = await runFlows(stack.target, options.plan, log);
      const written = await writeFlowsReport(options.outDir, report);
      console.log(`\n${renderFlowsMarkdown(report)}`);
      log(`wrote ${written.json} and ${written.markdown}`);
      if (!report.ok) console.error(`[bench] FAILED: ${report.problems.join('; ')}`);
      return report.ok ? EXIT.ok : EXIT.failed;
    }
    const report = await runBench(stack.target, options.plan, log);
    if (options.cpuProfileDir) {
      // Node writes a profile when its process exits: the services are stopped first.
      await stopStack();
      report.cpuProfiles = await readServiceProfiles(
        options.cpuProfileDir,
        stack.target.processes.filter((process) => process.kind === 'service'),
      );
    }
    const written = await writeReport(options.outDir, report);
    console.log(`\n${renderMarkdown(report)}`);
    log(`wrote ${written.json} and ${written.markdown}`);
    if (!report.ok) console.error(`[bench] FAILED: ${report.problems.join('; ')}`);
    return report.ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    console.error(
      `[bench] the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return EXIT.failed;
  } finally {
    await stopStack();
  }
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[bench]', error instanceof Error ? error.message : error);
    process.exit(EXIT.error);
  },
);
