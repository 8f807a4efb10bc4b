// `npm run outbox`'s arguments: a pure function of argv, so a bad one is a usage error (exit 2) before
// any connection is opened.
import { parseArgs } from 'node:util';
import { strayFlag } from '../cli/stray-flag';

/** The services that publish through a transactional outbox (the notification-service has none). */
export const OUTBOX_SERVICES = ['transfer', 'ledger'] as const;

/** An outbox row's position is a BIGINT: at most 2^63 - 1. */
const MAX_POSITION = 2n ** 63n - 1n;
export type OutboxService = (typeof OUTBOX_SERVICES)[number];

export const USAGE = `Usage: npm run outbox -- <command> [options]

Outbox rows the relay parked: a row that failed past OUTBOX_MAX_ATTEMPTS holds back the rows of its
key (its transfer) until an operator acts; every other key flows.

  list [--service transfer|ledger]             parked rows, and how many rows of their key wait behind each
  show <service> <position>                    one outbox row, whatever its status, with its content
  release <service> <position>                 back to PENDING, attempts reset: the relay sends it next,
                                               then the rows behind it (fix the cause first)
  discard <service> <position> --reason "..."  give it up for good: it stays on record as DISCARDED with
                                               the reason, the rows behind it flow, and the consumers
                                               never see its event

  --json    print rows as JSON (list, show)
  --help    print this help

Databases: TRANSFER_DATABASE_URL and LEDGER_DATABASE_URL, else the local stack's, as its outbox
operator role (ONCEPAY_POSTGRES_HOST, ONCEPAY_POSTGRES_PORT, ONCEPAY_ROLE_PASSWORD).
Exit code: 0 done, 1 refused (no such row, or not parked), 2 usage or connection error.`;

export type OutboxCommand =
  | { kind: 'list'; services: OutboxService[]; json: boolean }
  | { kind: 'show'; service: OutboxService; position: string; json: boolean }
  | { kind: 'release'; service: OutboxService; position: string }
  | { kind: 'discard'; service: OutboxService; position: string; reason: string }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

export function parseOutboxCommand(argv: string[]): OutboxCommand {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [verb, ...rest] = positionals;
  if (isVerb(verb)) {
    const stray = strayFlag(parsed.tokens, FLAGS_OF[verb]);
    if (stray === 'service') return usageError(`${verb} names the service as its first argument`);
    if (stray === 'reason') return usageError('--reason goes with discard only');
    if (stray !== undefined) return usageError(`${verb} takes no --${stray}`);
  }
  switch (verb) {
    case 'list': {
      if (rest.length > 0) return usageError(`list takes no arguments, got "${rest.join(' ')}"`);
      if (values.service === undefined)
        return { kind: 'list', services: [...OUTBOX_SERVICES], json: values.json };
      const service = values.service;
      return isService(service)
        ? { kind: 'list', services: [service], json: values.json }
        : unknownService(service);
    }
    case 'show':
    case 'release':
    case 'discard': {
      const [service, position, ...extra] = rest;
      if (service === undefined || position === undefined || extra.length > 0)
        return usageError(`usage: ${verb} <service> <position>`);
      if (!isService(service)) return unknownService(service);
      if (!/^[1-9][0-9]{0,18}$/.test(position) || BigInt(position) > MAX_POSITION)
        return usageError(`<position> is the row's position, a positive 64-bit integer; got "${position}"`);
      if (verb === 'discard') {
        const reason = values.reason?.trim() ?? '';
        if (reason === '') return usageError('discard needs --reason "...": why this event may be dropped');
        return { kind: 'discard', service, position, reason };
      }
      return verb === 'show'
        ? { kind: 'show', service, position, json: values.json }
        : { kind: 'release', service, position };
    }
    case undefined:
      return usageError('name a command: list, show, release or discard');
    default:
      return usageError(`unknown command "${verb}"`);
  }
}

const VERBS = ['list', 'show', 'release', 'discard'] as const;

/** The flags each command takes; any other is a usage error rather than ignored. */
const FLAGS_OF: Record<(typeof VERBS)[number], readonly string[]> = {
  list: ['service', 'json'],
  show: ['json'],
  release: [],
  discard: ['reason'],
};

function isVerb(value: string | undefined): value is (typeof VERBS)[number] {
  return (VERBS as readonly (string | undefined)[]).includes(value);
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      service: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}

function isService(value: string): value is OutboxService {
  return (OUTBOX_SERVICES as readonly string[]).includes(value);
}

function unknownService(name: string): OutboxCommand {
  return usageError(`the service is ${OUTBOX_SERVICES.join(' or ')}, got "${name}"`);
}

function usageError(message: string): OutboxCommand {
  return { kind: 'usage-error', message };
}
