// `npm run audit`'s arguments: flags over the local stack's defaults (scripts/infra/stack-config.ts).
// A pure function of argv and the defaults, so a bad flag is a usage error (exit 2) before any I/O.
import { parseArgs } from 'node:util';
import type { AuditTargets } from './auditor';
import type { KafkaSecurity } from './dead-letters';

export const USAGE = `Usage: npm run audit -- [options]

Checks OncePay's invariants across the transfer, ledger and notification databases and the
dead-letter topics, read-only. Exit code: 0 all invariants hold, 1 violations, 2 usage or connection error.

  --transfer-db <url>            transfer-service database (default: the local stack's)
  --ledger-db <url>              ledger-service database (default: the local stack's)
  --notification-db <url>        notification-service database (default: the local stack's)
  --brokers <host:port,...>      Kafka brokers for the dead-letter check (default: the local stack's)
  --no-kafka                     skip the dead-letter check
  --namespace <prefix>           the services' KAFKA_NAMESPACE, e.g. staging. (default: none)
  --pending-grace-ms <ms>        how long a transfer may stay PENDING (default 60000)
  --hold-grace-ms <ms>           how long past its expiry a hold may stay under way, and how long one
                                 may stay CAPTURING, VOIDING or EXPIRING (default 300000)
  --expected-dead-letters <n>    dead letters already known about (default 0)
  --page-size <n>                rows read per query and transfers checked per page (default 1000):
                                 the audit's memory grows with it, not with the tables
  --json                         print the report as JSON
  --help                         print this help

TLS and SASL to the brokers come from the variables the services read: KAFKA_TLS, KAFKA_TLS_CA_FILE,
KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.`;

export interface AuditDefaults {
  transferDatabaseUrl: string;
  ledgerDatabaseUrl: string;
  notificationDatabaseUrl: string;
  kafkaBrokers: string[];
  /** TLS and SASL to the brokers (from the environment). */
  kafkaSecurity?: KafkaSecurity;
}

export type CliOptions =
  | { kind: 'audit'; targets: AuditTargets; json: boolean }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

export function parseCliOptions(argv: string[], defaults: AuditDefaults): CliOptions {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  // The rule the services' own configuration applies to KAFKA_NAMESPACE (packages/service-runtime/src/env.ts).
  if (!/^([a-z0-9-]+\.)?$/.test(values.namespace))
    return {
      kind: 'usage-error',
      message: `--namespace must be empty or lower-case letters, digits and dashes ending in a dot, got "${values.namespace}"`,
    };
  const graceMs = nonNegativeInteger('--pending-grace-ms', values['pending-grace-ms']);
  if (typeof graceMs === 'string') return { kind: 'usage-error', message: graceMs };
  const holdGraceMs = nonNegativeInteger('--hold-grace-ms', values['hold-grace-ms']);
  if (typeof holdGraceMs === 'string') return { kind: 'usage-error', message: holdGraceMs };
  const expectedDeadLetters = nonNegativeInteger('--expected-dead-letters', values['expected-dead-letters']);
  if (typeof expectedDeadLetters === 'string') return { kind: 'usage-error', message: expectedDeadLetters };
  const pageSize = nonNegativeInteger('--page-size', values['page-size']);
  if (typeof pageSize === 'string' || pageSize === 0 || (pageSize ?? 0) > MAX_PAGE_SIZE)
    return {
      kind: 'usage-error',
      message: typeof pageSize === 'string' ? pageSize : `--page-size must be from 1 to ${MAX_PAGE_SIZE}`,
    };
  const brokers = values.brokers === undefined ? defaults.kafkaBrokers : brokerList(values.brokers);
  if (!values['no-kafka'] && brokers.length === 0)
    return {
      kind: 'usage-error',
      message: '--brokers is empty; pass --no-kafka to skip the dead-letter check',
    };
  return {
    kind: 'audit',
    json: values.json,
    targets: {
      transferDatabaseUrl: values['transfer-db'] ?? defaults.transferDatabaseUrl,
      ledgerDatabaseUrl: values['ledger-db'] ?? defaults.ledgerDatabaseUrl,
      notificationDatabaseUrl: values['notification-db'] ?? defaults.notificationDatabaseUrl,
      ...(values['no-kafka']
        ? {}
        : {
            kafkaBrokers: brokers,
            ...(defaults.kafkaSecurity ? { kafkaSecurity: defaults.kafkaSecurity } : {}),
          }),
      kafkaNamespace: values.namespace,
      ...(graceMs === undefined ? {} : { pendingGraceMs: graceMs }),
      ...(holdGraceMs === undefined ? {} : { holdGraceMs }),
      ...(expectedDeadLetters === undefined ? {} : { expectedDeadLetters }),
      ...(pageSize === undefined ? {} : { pageSize }),
    },
  };
}

/** Throws on an unknown flag or a missing value: a usage error. */
function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'transfer-db': { type: 'string' },
      'ledger-db': { type: 'string' },
      'notification-db': { type: 'string' },
      brokers: { type: 'string' },
      'no-kafka': { type: 'boolean', default: false },
      namespace: { type: 'string', default: '' },
      'pending-grace-ms': { type: 'string' },
      'hold-grace-ms': { type: 'string' },
      'expected-dead-letters': { type: 'string' },
      'page-size': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
}

/** The most rows one read takes: a cursor's `FETCH n` (snapshots.ts) takes at most a 32-bit count. */
const MAX_PAGE_SIZE = 2 ** 31 - 1;

/**
 * The number, undefined when the flag is absent, or the usage error as a string. Decimal digits only:
 * Number() would also read `0x10`, `1e3` or ` 5`.
 */
function nonNegativeInteger(flag: string, raw: string | undefined): number | undefined | string {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value))
    return `${flag} must be a non-negative integer in decimal digits, got "${raw}"`;
  return value;
}

function brokerList(raw: string): string[] {
  return raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}
