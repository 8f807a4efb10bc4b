// A real single-node Kafka broker (KRaft: broker and controller in one JVM, no ZooKeeper) for local dev and tests,
// or one node of a local multi-node cluster (startKafkaCluster) for the fault-injection scenarios.
// The jars come from Maven Central through kafka/pom.xml, so the only host requirements are Java 17 and Maven.
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { DATA_DIR } from './paths';
import { assertPortFree, isPortOpen } from './net';

/** The newest 3.x: Kafka 4.x removed the old protocol versions that kafkajs 2.2.4 speaks. Docker: apache/kafka:3.9.2. */
export const KAFKA_VERSION = '3.9.2';

export interface KafkaOptions {
  dataDir: string;
  port: number;
  controllerPort: number;
  logFile: string;
  /**
   * A second listener that takes only SASL/PLAIN-authenticated clients (the users and their passwords),
   * as a broker with authentication would: for the test of OncePay's SASL client configuration.
   */
  sasl?: { port: number; users: Record<string, string> };
  /** Part of a cluster of combined broker+controller nodes instead of a cluster of its own (startKafkaCluster). */
  cluster?: KafkaClusterMembership;
}

export interface KafkaClusterMembership {
  /** This node's id: 1, 2, 3... recorded in its formatted storage, so it never changes. */
  nodeId: number;
  /** Every node's id and controller port: the KRaft voters (controller.quorum.voters). */
  voters: { nodeId: number; controllerPort: number }[];
  /** Shared by every node: storage formatted with another cluster's id is refused. */
  clusterId: string;
  /** Replicas of the internal topics and the brokers' defaults (default.replication.factor). */
  replicationFactor: number;
  /** min.insync.replicas of the brokers and of the transaction state log. */
  minInsyncReplicas: number;
}

export interface KafkaBroker {
  /** Bootstrap address for clients: '127.0.0.1:<port>'. */
  brokers: string;
  /** SIGTERM (clean controlled shutdown), then SIGKILL if the JVM has not exited within 20 s. */
  stop(): Promise<void>;
  /** The JVM's process id. */
  pid: number;
  /** The node's log file. */
  logFile: string;
  /**
   * SIGKILL at once, no controlled shutdown: what a crash leaves behind, so the next start on the same
   * data dir recovers its logs. Resolves once the JVM is gone. For fault-injection tests.
   */
  kill(): Promise<void>;
}

const POM = path.join(__dirname, 'kafka', 'pom.xml');
const JARS_DIR = path.join(DATA_DIR, 'kafka-jars', KAFKA_VERSION);
// Written last, so a folder without it is an interrupted download, never a usable cache.
const COMPLETE_MARKER = '.complete';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const KILL_TIMEOUT_MS = 5_000;
// Starts each run's section of the (appended) log file, so a failure report shows only this run.
const RUN_MARKER = '---- ';
const TOOLS_MISSING =
  'Java 17 and Maven are needed to run the local Kafka broker; install them ' +
  '(apt-get install openjdk-17-jre-headless maven) or use docker compose';

/** Fetches the broker's jars once per version (later calls only list the cache) and returns the Java classpath. */
export async function ensureKafkaJars(): Promise<string> {
  if (!fs.existsSync(path.join(JARS_DIR, COMPLETE_MARKER))) await downloadJars();
  const jars = (await fs.promises.readdir(JARS_DIR)).filter((f) => f.endsWith('.jar')).sort();
  if (jars.length === 0) throw new Error(`No jars in ${JARS_DIR}; delete that folder and try again`);
  return jars.map((jar) => path.join(JARS_DIR, jar)).join(path.delimiter);
}

async function downloadJars(): Promise<void> {
  requireTools(['java', 'mvn']);
  // A private staging folder renamed into place: an interrupted or concurrent run never leaves a half cache behind.
  const staging = `${JARS_DIR}.partial-${process.pid}`;
  await fs.promises.rm(staging, { recursive: true, force: true });
  const mvn = await run('mvn', [
    ...['-B', '-q', '-Dstyle.color=never', '-f', POM, 'dependency:copy-dependencies'],
    // runtime scope = compile + runtime: what the broker loads, without test or provided jars.
    '-DincludeScope=runtime',
    // Overrides the pom's default so the jars always match the cache folder's name.
    `-Dkafka.version=${KAFKA_VERSION}`,
    `-DoutputDirectory=${staging}`,
  ]);
  if (mvn.code !== 0) {
    await fs.promises.rm(staging, { recursive: true, force: true });
    throw new Error(`mvn could not fetch the Kafka ${KAFKA_VERSION} jars (exit ${mvn.code}):\n${mvn.output}`);
  }
  await fs.promises.writeFile(path.join(staging, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  await publishJars(staging);
}

async function publishJars(staging: string): Promise<void> {
  const marker = path.join(JARS_DIR, COMPLETE_MARKER);
  if (!fs.existsSync(marker)) await fs.promises.rm(JARS_DIR, { recursive: true, force: true });
  try {
    await fs.promises.rename(staging, JARS_DIR);
  } catch (err) {
    // Another process finished first: its complete cache is as good as ours.
    if (!fs.existsSync(marker)) throw err;
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}

/** Fails with an install hint rather than a bare ENOENT from spawn. */
function requireTools(tools: string[]): void {
  const missing = tools.filter(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length > 0) throw new Error(`${TOOLS_MISSING} (not found on PATH: ${missing.join(', ')})`);
}

/** Runs a command to completion with stdout and stderr captured together, to show them only on failure. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** Starts the broker and resolves once it answers a metadata request; its logs go to opts.logFile only. */
export async function startKafka(opts: KafkaOptions): Promise<KafkaBroker> {
  if (opts.port === opts.controllerPort)
    throw new Error(`Kafka port and controller port are both ${opts.port}`);
  await assertPortFree(opts.port, 'Kafka broker');
  await assertPortFree(opts.controllerPort, 'Kafka KRaft controller');
  if (opts.sasl) await assertPortFree(opts.sasl.port, 'Kafka SASL listener');
  const classpath = await ensureKafkaJars();
  requireTools(['java']);
  const jvm = await launch(classpath, opts);
  try {
    await waitUntilReady(jvm, opts);
  } catch (err) {
    await stopJvm(jvm);
    throw err;
  }
  return brokerOf(jvm, opts);
}

/**
 * Starts every node of a multi-node KRaft cluster (each `cluster` option naming the same voters) and
 * resolves once each answers metadata. The nodes start together: none is ready before a majority of
 * the voters runs. A single node of a running cluster is restarted with startKafka.
 */
export async function startKafkaCluster(nodes: KafkaOptions[]): Promise<KafkaBroker[]> {
  if (nodes.some((node) => !node.cluster))
    throw new Error('every node of a cluster needs its `cluster` option');
  for (const node of nodes) {
    await assertPortFree(node.port, `Kafka broker ${node.cluster!.nodeId}`);
    await assertPortFree(node.controllerPort, `Kafka KRaft controller ${node.cluster!.nodeId}`);
  }
  const classpath = await ensureKafkaJars();
  requireTools(['java']);
  const jvms: Jvm[] = [];
  try {
    for (const node of nodes) jvms.push(await launch(classpath, node));
    await Promise.all(jvms.map((jvm, i) => waitUntilReady(jvm, nodes[i]!)));
  } catch (err) {
    await Promise.allSettled(jvms.map((jvm) => stopJvm(jvm)));
    throw err;
  }
  return jvms.map((jvm, i) => brokerOf(jvm, nodes[i]!));
}

async function launch(classpath: string, opts: KafkaOptions): Promise<Jvm> {
  const files = await writeConfig(opts);
  await formatStorageOnce(classpath, opts, files);
  return spawnBroker(classpath, files, opts.logFile);
}

function brokerOf(jvm: Jvm, opts: KafkaOptions): KafkaBroker {
  jvm.running = true;
  return {
    brokers: `127.0.0.1:${opts.port}`,
    stop: () => stopJvm(jvm),
    pid: jvm.child.pid ?? -1,
    logFile: opts.logFile,
    kill: () => killJvm(jvm),
  };
}

interface ConfigFiles {
  server: string;
  log4j: string;
}

/** Where a broker started with `dataDir` keeps its partitions' logs (the benchmark reads their sizes). */
export const kafkaLogDirOf = (dataDir: string): string => path.join(dataDir, 'kraft-logs');

async function writeConfig(opts: KafkaOptions): Promise<ConfigFiles> {
  await fs.promises.mkdir(opts.dataDir, { recursive: true });
  await fs.promises.mkdir(path.dirname(opts.logFile), { recursive: true });
  const files = {
    server: path.join(opts.dataDir, 'server.properties'),
    log4j: path.join(opts.dataDir, 'log4j.properties'),
  };
  // Rewritten on every start so a port change takes effect; node.id and log.dirs never change, so storage stays valid.
  await fs.promises.writeFile(files.server, serverProperties(opts));
  await fs.promises.writeFile(files.log4j, log4jProperties(opts.logFile));
  return files;
}

/** Java .properties treats backslashes as escapes. */
const prop = (value: string): string => value.replace(/\\/g, '\\\\');

function serverProperties(opts: KafkaOptions): string {
  const cluster = opts.cluster;
  const nodeId = cluster?.nodeId ?? 1;
  const voters = cluster?.voters ?? [{ nodeId: 1, controllerPort: opts.controllerPort }];
  const replicas = cluster?.replicationFactor ?? 1;
  const minInsync = cluster?.minInsyncReplicas ?? 1;
  return `# Written by scripts/infra/kafka.ts on every start: edit that file, not this one.
# One JVM plays both KRaft roles: no ZooKeeper and no second process to manage.
process.roles=broker,controller
# Recorded in the formatted storage, so it must stay the same across restarts.
node.id=${nodeId}
# The metadata quorum: ${cluster ? 'every node of the cluster votes, a majority elects the active controller' : 'this node alone'}.
controller.quorum.voters=${voters.map((voter) => `${voter.nodeId}@127.0.0.1:${voter.controllerPort}`).join(',')}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${opts.sasl ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}
# Loopback only: a dev broker without authentication must not be reachable from the network.
listeners=PLAINTEXT://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}${opts.sasl ? `,SASL_PLAINTEXT://127.0.0.1:${opts.sasl.port}` : ''}
# The address clients are told to reconnect to after bootstrap; it must be one they can reach.
advertised.listeners=PLAINTEXT://127.0.0.1:${opts.port}${opts.sasl ? `,SASL_PLAINTEXT://127.0.0.1:${opts.sasl.port}` : ''}
${opts.sasl ? saslProperties(opts.sasl.users) : ''}
# Inside dataDir, so wiping the local data wipes the topics too.
log.dirs=${prop(kafkaLogDirOf(opts.dataDir))}
# Internal topics default to 3 replicas, impossible on one broker: consumer groups could not commit offsets.
offsets.topic.replication.factor=${replicas}
# Same for the transaction state topic, needed by transactional producers.
transaction.state.log.replication.factor=${replicas}
# The default (2) exceeds a single replica, which would refuse transactional writes.
transaction.state.log.min.isr=${minInsync}
# acks=-1 writes (idempotent producers) need this many in-sync replicas.
min.insync.replicas=${minInsync}
# What a topic created without a replication factor gets (OncePay's services always name one).
default.replication.factor=${replicas}
# The default 3 s wait before a new group's first rebalance only slows every consumer start in tests.
group.initial.rebalance.delay.ms=0
# Topics are created on purpose: a mistyped topic name must fail, not silently create a new topic.
auto.create.topics.enable=false
# More than one partition by default, so per-key ordering and partition assignment behave as in production.
num.partitions=3
`;
}

/** SASL/PLAIN on the SASL_PLAINTEXT listener, with its users' passwords in the broker's JAAS config. */
function saslProperties(users: Record<string, string>): string {
  const credentials = Object.entries(users)
    .map(([user, password]) => `user_${user}="${password}"`)
    .join(' ');
  return `sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ${credentials};
`;
}

function log4jProperties(logFile: string): string {
  return `# Written by scripts/infra/kafka.ts: everything goes to the log file, nothing to the caller's stdout.
# WARN by default: at INFO one run writes ~700 lines (two full config dumps, every thread's start and stop).
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${prop(logFile)}
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
# INFO only for the start/stop milestones; coordinators and the controller log one line per partition
# (50 for __consumer_offsets alone). Raise a logger here when debugging Kafka itself.
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.logger.kafka.server.ControllerServer=INFO
log4j.logger.kafka.server.BrokerLifecycleManager=INFO
# One line per KRaft election ("Completed transition to Leader..."): where the active controller is.
log4j.logger.org.apache.kafka.raft.QuorumState=INFO
`;
}

/** KRaft refuses unformatted storage; formatting twice would fail, so it happens on the first start only. */
async function formatStorageOnce(classpath: string, opts: KafkaOptions, files: ConfigFiles): Promise<void> {
  const { dataDir } = opts;
  // meta.properties is what the storage tool writes: its presence means the log dir is formatted.
  if (fs.existsSync(path.join(kafkaLogDirOf(dataDir), 'meta.properties'))) return;
  const clusterId = opts.cluster?.clusterId ?? (await clusterIdOf(dataDir));
  const args = ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', files.server];
  const format = await run('java', [log4jFlag(files), ...args]);
  if (format.code !== 0)
    throw new Error(`Formatting Kafka storage in ${dataDir} failed (exit ${format.code}):\n${format.output}`);
}

/** Kept in a file so a re-format after a partial wipe reuses the same cluster id. */
async function clusterIdOf(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'cluster-id');
  const saved = (await fs.promises.readFile(file, 'utf8').catch(() => '')).trim();
  if (saved !== '') return saved;
  const id = newClusterId();
  await fs.promises.writeFile(file, `${id}\n`);
  return id;
}

/** Same shape as Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64, never starting with '-' (the CLI would take it for an option). */
export function newClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const log4jFlag = (files: ConfigFiles): string => `-Dlog4j.configuration=${pathToFileURL(files.log4j).href}`;

interface Jvm {
  child: ChildProcess;
  /** Set once the process has exited (or could not start). */
  exitNote: string | undefined;
  exited: Promise<void>;
  /** True between a successful start and stop(): only then is an exit a surprise worth reporting. */
  running: boolean;
}

function spawnBroker(classpath: string, files: ConfigFiles, logFile: string): Jvm {
  fs.appendFileSync(
    logFile,
    `\n${RUN_MARKER}${new Date().toISOString()} starting Kafka ${KAFKA_VERSION} ----\n`,
  );
  // stdout/stderr go to the log file too: JVM-level failures (bad flags, OOM, missing class) bypass log4j.
  const out = fs.openSync(logFile, 'a');
  try {
    const args = ['-Xms256m', '-Xmx512m', '-Djava.awt.headless=true', log4jFlag(files)];
    const child = spawn('java', [...args, '-cp', classpath, 'kafka.Kafka', files.server], {
      stdio: ['ignore', out, out],
    });
    return track(child, logFile);
  } finally {
    fs.closeSync(out);
  }
}

function track(child: ChildProcess, logFile: string): Jvm {
  // If our process exits without calling stop(), don't leave an orphan JVM holding the ports.
  const onOurExit = (): void => void child.kill('SIGTERM');
  process.once('exit', onOurExit);
  const jvm: Jvm = { child, exitNote: undefined, exited: Promise.resolve(), running: false };
  jvm.exited = new Promise((resolve) => {
    const settle = (note: string): void => {
      jvm.exitNote ??= note;
      process.removeListener('exit', onOurExit);
      resolve();
    };
    child.once('exit', (code, signal) => settle(`exit code ${code}, signal ${signal}`));
    child.on('error', (err) => settle(`could not run java: ${err.message}`));
  });
  void jvm.exited.then(() => {
    if (jvm.running) console.error(`Kafka broker exited unexpectedly (${jvm.exitNote}); see ${logFile}`);
  });
  return jvm;
}

async function waitUntilReady(jvm: Jvm, opts: KafkaOptions): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (jvm.exitNote !== undefined) {
      throw new Error(`Kafka exited during startup (${jvm.exitNote}). ${await logTail(opts.logFile)}`);
    }
    if ((await isPortOpen(opts.port)) && (await clusterAnswers(opts.port))) return;
    await sleep(250);
  }
  throw new Error(`Kafka was not ready within ${READY_TIMEOUT_MS} ms. ${await logTail(opts.logFile)}`);
}

/** An open port is not enough: the broker must have joined its quorum and answer metadata requests. */
async function clusterAnswers(port: number): Promise<boolean> {
  // Silent and without retries: failing is expected until the broker is up, and the loop above retries.
  const kafka = new Kafka({
    clientId: 'oncepay-kafka-readiness',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function stopJvm(jvm: Jvm): Promise<void> {
  jvm.running = false;
  if (jvm.exitNote !== undefined) return;
  // SIGTERM runs Kafka's controlled shutdown, so the next start needs no log recovery.
  jvm.child.kill('SIGTERM');
  if (await settlesWithin(jvm.exited, STOP_TIMEOUT_MS)) return;
  jvm.child.kill('SIGKILL');
  if (!(await settlesWithin(jvm.exited, KILL_TIMEOUT_MS))) {
    throw new Error(`Kafka JVM (pid ${jvm.child.pid}) did not exit even after SIGKILL`);
  }
}

async function killJvm(jvm: Jvm): Promise<void> {
  // Not running any more: its exit is expected, not a surprise to report.
  jvm.running = false;
  if (jvm.exitNote !== undefined) return;
  jvm.child.kill('SIGKILL');
  if (!(await settlesWithin(jvm.exited, KILL_TIMEOUT_MS))) {
    throw new Error(`Kafka JVM (pid ${jvm.child.pid}) did not exit after SIGKILL`);
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The end of the log file, where the reason for a failed start usually is. */
async function logTail(logFile: string, maxLines = 30): Promise<string> {
  try {
    const fh = await fs.promises.open(logFile, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - 16_384);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = buf.toString('utf8');
      const thisRun = text.slice(Math.max(0, text.lastIndexOf(`\n${RUN_MARKER}`)));
      return `Last lines of ${logFile}:\n${thisRun.trim().split('\n').slice(-maxLines).join('\n')}`;
    } finally {
      await fh.close();
    }
  } catch {
    return `(no log file at ${logFile})`;
  }
}
