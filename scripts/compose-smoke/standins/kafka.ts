// Builds an offline stand-in for apache/kafka:3.9.2, because Docker Hub is out of reach where the compose
// smoke test runs. The image holds the real Kafka jars (the same Maven Central download the local broker
// uses) and honours the official image's contract: the KAFKA_* environment becomes server.properties
// through Kafka's own kafka.docker.KafkaDockerWrapper, CLUSTER_ID formats the data dir once, appuser runs
// it, and /opt/kafka/bin has the scripts the compose health check and operators call.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ensureKafkaJars, KAFKA_VERSION } from '../../infra/kafka';
import { docker, run, SMOKE_DIR } from '../docker';

/** Dockerfile, run script, default configs and bin scripts; the jars are added when staging. */
const SOURCE_DIR = path.join(__dirname, 'kafka');
const CONTEXT_DIR = path.join(SMOKE_DIR, 'context-kafka');
// kafka-topics.sh, kafka-consumer-groups.sh and kafka-console-consumer.sh run classes from kafka-tools,
// which the broker's classpath lacks. Its other dependencies are already there (same versions), except
// connect-runtime, which those three never load; so only this one jar is fetched, kept apart from the
// broker's cache because that one belongs to scripts/infra/kafka.ts.
const TOOLS_ARTIFACT = `org.apache.kafka:kafka-tools:${KAFKA_VERSION}`;
const TOOLS_JAR_DIR = path.join(SMOKE_DIR, 'kafka-tools-jar', KAFKA_VERSION);
const TOOLS_JAR = path.join(TOOLS_JAR_DIR, `kafka-tools-${KAFKA_VERSION}.jar`);
// The same plugin version kafka/pom.xml pins, so Maven resolves nothing new for it.
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
// git may not keep the executable bit (a checkout on Windows, an archive), and the image runs these.
const EXECUTABLES = ['docker/run', 'bin'];

export async function buildKafkaStandIn(opts: { baseImage: string; tag: string }): Promise<void> {
  const jars = [...(await ensureKafkaJars()).split(path.delimiter), await ensureToolsJar()];
  await stageContext(jars);
  await docker([
    ...['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${opts.baseImage}`],
    ...['-t', opts.tag, CONTEXT_DIR],
  ]);
}

async function stageContext(jars: string[]): Promise<void> {
  // Wiped first: a jar or script left over from an earlier version must not end up in the image.
  await fs.rm(CONTEXT_DIR, { recursive: true, force: true });
  await fs.mkdir(path.dirname(CONTEXT_DIR), { recursive: true });
  await fs.cp(SOURCE_DIR, CONTEXT_DIR, { recursive: true });
  for (const entry of EXECUTABLES) await makeExecutable(path.join(CONTEXT_DIR, entry));

  const libs = path.join(CONTEXT_DIR, 'libs');
  await fs.mkdir(libs);
  const names = new Set<string>();
  for (const jar of jars) {
    const name = path.basename(jar);
    // Two jars of one name would silently replace each other in libs/.
    if (names.has(name)) throw new Error(`Two jars named ${name} on the Kafka classpath`);
    names.add(name);
    await fs.copyFile(jar, path.join(libs, name));
  }
}

async function makeExecutable(target: string): Promise<void> {
  const stat = await fs.stat(target);
  if (!stat.isDirectory()) return fs.chmod(target, 0o755);
  for (const name of await fs.readdir(target)) await makeExecutable(path.join(target, name));
}

/** Fetches kafka-tools from Maven Central once (later builds reuse it) and returns the jar's path. */
async function ensureToolsJar(): Promise<string> {
  if (await exists(TOOLS_JAR)) return TOOLS_JAR;
  // Downloaded next to its final place and renamed in, so an interrupted fetch never looks complete.
  const staging = `${TOOLS_JAR_DIR}.partial-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  try {
    await run('mvn', [
      ...['-B', '-q', '-Dstyle.color=never', `${DEPENDENCY_PLUGIN}:copy`],
      `-Dartifact=${TOOLS_ARTIFACT}`,
      `-DoutputDirectory=${staging}`,
    ]);
    await fs.rm(TOOLS_JAR_DIR, { recursive: true, force: true });
    await fs.rename(staging, TOOLS_JAR_DIR);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
  if (!(await exists(TOOLS_JAR))) throw new Error(`mvn did not leave ${TOOLS_JAR}`);
  return TOOLS_JAR;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
