#!/usr/bin/env node
// The auditor's command line (`npm run audit`, the `oncepay-audit` bin, the image's compose one-shot):
// audits the local stack, or the databases and brokers given by flags, and prints the report.
// Exit code 0 when every invariant holds, 1 on violations, 2 on a usage or connection error.
import { assertNever } from '@oncepay/contracts';
import { AuditSourceError, auditOncePay } from './auditor';
import { parseCliOptions, USAGE, type AuditDefaults } from './cli-options';
import { localStackDefaults, processEnv } from './config/local-stack';
import { formatReport, formatReportJson } from './format-report';

const EXIT = { ok: 0, violations: 1, error: 2 } as const;

async function main(): Promise<number> {
  let defaults: AuditDefaults;
  try {
    defaults = localStackDefaults(processEnv());
  } catch (error) {
    // A bad variable (a port, the Kafka TLS or SASL settings) is a usage error, named.
    console.error(`[audit] ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
  const options = parseCliOptions(process.argv.slice(2), defaults);
  switch (options.kind) {
    case 'help':
      console.log(USAGE);
      return EXIT.ok;
    case 'usage-error':
      console.error(`[audit] ${options.message}\n\n${USAGE}`);
      return EXIT.error;
    case 'audit': {
      const report = await auditOncePay(options.targets);
      console.log(options.json ? formatReportJson(report) : formatReport(report));
      return report.ok ? EXIT.ok : EXIT.violations;
    }
    default:
      return assertNever(options);
  }
}

/** An AuditSourceError (or several) names the connection that failed; anything else is a bug, shown whole. */
function describeFailure(error: unknown): string {
  const causes = error instanceof AggregateError ? error.errors : [error];
  if (causes.every((cause) => cause instanceof AuditSourceError))
    return causes.map((cause: AuditSourceError) => `[audit] ${cause.message}`).join('\n');
  return `[audit] the audit failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(describeFailure(error));
    process.exitCode = EXIT.error;
  },
);
