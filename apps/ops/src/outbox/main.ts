#!/usr/bin/env node
// `npm run outbox` (the `oncepay-outbox` bin): lists, shows, releases or discards the outbox rows the
// relay parked. See USAGE in cli-options.ts; exit code 0 done, 1 refused, 2 usage or connection error.
import { describeError } from '@oncepay/sql';
import { outboxDatabaseUrls, processEnv } from '../config/outbox-databases';
import { parseOutboxCommand, USAGE } from './cli-options';
import { EXIT, runOutboxCommand } from './outbox-command';

async function main(): Promise<number> {
  const command = parseOutboxCommand(process.argv.slice(2));
  if (command.kind === 'help') {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (command.kind === 'usage-error') {
    console.error(`[outbox] ${command.message}\n\n${USAGE}`);
    return EXIT.error;
  }
  const urls = outboxDatabaseUrls(processEnv());
  return runOutboxCommand(command, urls, {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`[outbox] failed: ${describeError(error)}`);
    process.exitCode = EXIT.error;
  },
);
