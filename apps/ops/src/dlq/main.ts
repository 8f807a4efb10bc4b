#!/usr/bin/env node
// `npm run dlq` (the `oncepay-dlq` bin): list, show, replay and discard the messages OncePay's consumers
// dead-lettered. Exit code 0 when done, 1 when a dead letter could not be replayed, 2 on a usage or
// connection error.
import { assertNever } from '@oncepay/contracts';
import { createKafkaClient } from '@oncepay/messaging';
import { dlqConfigOf, processEnv, type DlqConfig } from '../config/dlq-config';
import { parseDlqArgs, USAGE, type DlqCommand } from './cli-options';
import {
  discardDeadLetters,
  DlqError,
  listDeadLetters,
  replayDeadLetters,
  showDeadLetter,
  type DlqContext,
  type DlqExit,
} from './dlq-commands';

const EXIT = { ok: 0, error: 2 } as const;

async function main(): Promise<number> {
  let config: DlqConfig;
  try {
    config = dlqConfigOf(processEnv());
  } catch (error) {
    console.error(`[dlq] ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
  const command = parseDlqArgs(process.argv.slice(2), config.namespace);
  if (command.kind === 'help') {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (command.kind === 'usage-error') {
    console.error(`[dlq] ${command.message}\n\n${USAGE}`);
    return EXIT.error;
  }
  const kafka = createKafkaClient({
    clientId: 'oncepay-dlq',
    brokers: config.brokers,
    ...config.security,
    connectionTimeoutMs: 3_000,
    requestTimeoutMs: 30_000,
    // kafkajs logs each connection retry as an error; the command says itself what failed, once.
    log: () => undefined,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    console.error(`[dlq] cannot connect to Kafka at ${config.brokers.join(',')}: ${describe(error)}`);
    return EXIT.error;
  }
  const context: DlqContext = {
    kafka,
    admin,
    namespace: config.namespace,
    operator: config.operator,
    print: (text) => console.log(text),
    warn: (text) => console.error(text),
  };
  try {
    return await run(context, command);
  } catch (error) {
    if (error instanceof DlqError) {
      console.error(`[dlq] ${error.message}`);
      return EXIT.error;
    }
    throw error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function run(
  context: DlqContext,
  command: Exclude<DlqCommand, { kind: 'help' | 'usage-error' }>,
): Promise<DlqExit> {
  switch (command.kind) {
    case 'list':
      return listDeadLetters(context, command.topics, command.json);
    case 'show':
      return showDeadLetter(context, command.ref, command.json);
    case 'replay':
      return replayDeadLetters(context, command.selection, command.reason);
    case 'discard':
      return discardDeadLetters(context, command.selection, command.reason);
    default:
      return assertNever(command);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`[dlq] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = EXIT.error;
  },
);
