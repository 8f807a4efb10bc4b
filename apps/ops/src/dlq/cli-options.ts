// `npm run dlq`'s arguments: a pure function of argv and the namespace, so a bad command, flag or ref is
// a usage error (exit 2) before anything connects.
import { parseArgs } from 'node:util';
import { strayFlag } from '../cli/stray-flag';
import { deadLetterTopicOf, sourceTopicOf, TOPICS } from '@oncepay/contracts';
import { parseDeadLetterRef, type DeadLetterRef } from '@oncepay/messaging';

export const USAGE = `Usage: npm run dlq -- <command> [options]

The messages OncePay's consumers dead-lettered: what waits, what each one is, and the way out. A dead
letter waits until it is replayed or discarded; both work through the waiting messages of a partition
in order, up to a ref. Replaying publishes a message again on its original topic (key, value and
headers, marked x-oncepay-replayed-from): the consumers' dedup makes a replay of an event already
applied change nothing, so replaying twice is safe.

  list [--topic <topic>] [--json]          the waiting dead letters, in order per partition
  show <ref> [--json]                      one dead letter (waiting or not): its headers and its event
  replay (--through <ref> | --all) --reason <why> [--topic <topic>]
                                           publish the waiting dead letters up to <ref> (or all) again
  discard (--through <ref> | --all) --reason <why> [--topic <topic>]
                                           mark them dealt with without publishing anything
  --help                                   print this help

<ref> is topic/partition/offset as list prints it. <topic> is a topic or its dead-letter topic, with or
without the namespace: ${Object.values(TOPICS).join(', ')}.
Connects with KAFKA_BROKERS (default 127.0.0.1:9092, or ONCEPAY_KAFKA_PORT), KAFKA_NAMESPACE and the
services' KAFKA_TLS, KAFKA_TLS_CA_FILE, KAFKA_SASL_* variables. Replays and discards are logged, one
JSON line each. Exit code: 0 done, 1 a dead letter could not be replayed, 2 usage or connection error.`;

/** Which waiting dead letters a replay or a discard works through. */
export type Selection =
  /** Every waiting dead letter of these dead-letter topics. */
  | { kind: 'all'; topics: string[] }
  /** The waiting dead letters of the ref's partition, up to and including the ref. */
  | { kind: 'through'; ref: DeadLetterRef };

export type DlqCommand =
  | { kind: 'list'; topics: string[]; json: boolean }
  | { kind: 'show'; ref: DeadLetterRef; json: boolean }
  | { kind: 'replay' | 'discard'; selection: Selection; reason: string }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

const COMMANDS = ['list', 'show', 'replay', 'discard'] as const;

/**
 * The flags each command takes. Any other is a usage error rather than ignored: an operator who added
 * `--through` to `list`, or `--all` to `show`, must not be told all went well.
 */
const FLAGS_OF: Record<(typeof COMMANDS)[number], readonly string[]> = {
  list: ['topic', 'json'],
  show: ['json'],
  replay: ['topic', 'through', 'all', 'reason'],
  discard: ['topic', 'through', 'all', 'reason'],
};

export function parseDlqArgs(argv: string[], namespace: string): DlqCommand {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [command, ...rest] = positionals;
  if (command === undefined) return usageError('name a command: list, show, replay or discard');
  if (!isCommand(command)) return usageError(`unknown command "${command}"`);
  const stray = strayFlag(parsed.tokens, FLAGS_OF[command]);
  if (stray !== undefined) return usageError(`${command} takes no --${stray}`);
  const allTopics = Object.values(TOPICS).map((topic) => deadLetterTopicOf(namespace + topic));
  const topics = values.topic === undefined ? allTopics : deadLetterTopicNamed(values.topic, namespace);
  if (typeof topics === 'string') return usageError(topics);

  if (command === 'show') {
    if (rest.length !== 1) return usageError('show takes one ref (topic/partition/offset)');
    const ref = refOf(rest[0] as string, allTopics);
    return typeof ref === 'string' ? usageError(ref) : { kind: 'show', ref, json: values.json };
  }
  if (rest.length > 0) return usageError(`unexpected argument "${rest[0]}"`);
  if (command === 'list') return { kind: 'list', topics, json: values.json };

  if (values.reason === undefined || values.reason.trim() === '')
    return usageError(`${command} needs --reason <why>: it is logged with every message`);
  if ((values.through === undefined) === !values.all)
    return usageError(`${command} needs exactly one of --through <ref> and --all`);
  if (values.through !== undefined) {
    if (values.topic !== undefined) return usageError('--through names its topic already; drop --topic');
    const ref = refOf(values.through, allTopics);
    if (typeof ref === 'string') return usageError(ref);
    return { kind: command, selection: { kind: 'through', ref }, reason: values.reason.trim() };
  }
  return { kind: command, selection: { kind: 'all', topics }, reason: values.reason.trim() };
}

/** The dead-letter topic `name` means: a topic or its dead-letter topic, with or without the namespace. */
export function deadLetterTopicNamed(name: string, namespace: string): string[] | string {
  const withoutDlt = sourceTopicOf(name);
  const logical =
    namespace && withoutDlt.startsWith(namespace) ? withoutDlt.slice(namespace.length) : withoutDlt;
  if (!(Object.values(TOPICS) as string[]).includes(logical))
    return `unknown topic "${name}"; one of ${Object.values(TOPICS).join(', ')} (or its .dlt)`;
  return [deadLetterTopicOf(namespace + logical)];
}

function refOf(text: string, deadLetterTopics: string[]): DeadLetterRef | string {
  const ref = parseDeadLetterRef(text);
  if (typeof ref === 'string') return ref;
  if (!deadLetterTopics.includes(ref.topic))
    return `${ref.topic} is not one of the dead-letter topics: ${deadLetterTopics.join(', ')}`;
  return ref;
}

function isCommand(command: string): command is (typeof COMMANDS)[number] {
  return (COMMANDS as readonly string[]).includes(command);
}

function usageError(message: string): DlqCommand {
  return { kind: 'usage-error', message };
}

/** Throws on an unknown flag or a missing value: a usage error. */
function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    tokens: true,
    options: {
      topic: { type: 'string' },
      through: { type: 'string' },
      all: { type: 'boolean', default: false },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}
