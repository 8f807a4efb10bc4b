// End-to-end check of the local Kafka runner: npx tsx scripts/infra/kafka.check.ts
// Starts a throwaway broker, round-trips 100 messages through an idempotent producer and a consumer group,
// stops the broker and confirms its JVM is gone. Exits 0 only if all of that worked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, Partitioners, logLevel, type Consumer } from 'kafkajs';
import { ensureKafkaJars, startKafka, KAFKA_VERSION, type KafkaBroker } from './kafka';
import { freePorts, isPortOpen } from './net';

const TOPIC = 'kafka-check';
const MESSAGES = 100;
const CONSUME_TIMEOUT_MS = 30_000;
const WATCHDOG_MS = 240_000;

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function produce(kafka: Kafka): Promise<void> {
  // The settings the payment services rely on: idempotence needs acks=-1 and, in kafkajs, one request in flight.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let batch = 0; batch < MESSAGES / 10; batch++) {
      const messages = Array.from({ length: 10 }, (_, i) => {
        const n = batch * 10 + i;
        return { key: `key-${n % 7}`, value: `message-${n}` };
      });
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Reads until every message is seen once, failing on duplicates or a timeout. */
async function consume(consumer: Consumer): Promise<number> {
  const seen = new Set<string>();
  let duplicates = 0;
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`consumed ${seen.size}/${MESSAGES} within ${CONSUME_TIMEOUT_MS} ms`)),
      CONSUME_TIMEOUT_MS,
    );
    void consumer
      .run({
        eachMessage: async ({ message }) => {
          const value = message.value?.toString() ?? '';
          if (seen.has(value)) duplicates++;
          seen.add(value);
          if (seen.size === MESSAGES) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  const missing = Array.from({ length: MESSAGES }, (_, n) => `message-${n}`).filter((v) => !seen.has(v));
  if (missing.length > 0 || duplicates > 0)
    throw new Error(`missing ${missing.length}, duplicates ${duplicates}`);
  return seen.size;
}

async function roundTrip(brokers: string): Promise<string> {
  const kafka = new Kafka({ clientId: 'kafka-check', brokers: [brokers], logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const t = Date.now();
  await produce(kafka);
  const produced = seconds(t);
  const consumer = kafka.consumer({ groupId: 'kafka-check-group' });
  await consumer.connect();
  try {
    const count = await consume(consumer);
    return `produced ${MESSAGES} (idempotent, acks=-1) in ${produced}, consumed ${count} via group in ${seconds(t)}`;
  } finally {
    await consumer.disconnect();
  }
}

/** True while any process still runs with this broker's config file on its command line. */
function jvmStillRunning(serverProperties: string): boolean {
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(serverProperties)) return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'kafka-check-'));
  const logFile = path.join(dataDir, 'kafka.log');
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  let t = Date.now();
  await ensureKafkaJars();
  console.log(`Kafka ${KAFKA_VERSION} jars ready in ${seconds(t)}`);
  t = Date.now();
  let broker: KafkaBroker | undefined;
  try {
    broker = await startKafka({ dataDir, port, controllerPort, logFile });
    console.log(`broker up at ${broker.brokers} (controller :${controllerPort}) in ${seconds(t)}`);
    console.log(await roundTrip(broker.brokers));
  } catch (err) {
    console.error(`log kept at ${logFile}`);
    throw err;
  } finally {
    t = Date.now();
    await broker?.stop();
  }
  const gone = !jvmStillRunning(path.join(dataDir, 'server.properties'));
  const closed = !(await isPortOpen(port)) && !(await isPortOpen(controllerPort));
  if (!gone || !closed)
    throw new Error(`broker still alive after stop() (process gone: ${gone}, ports closed: ${closed})`);
  console.log(`broker stopped in ${seconds(t)}; JVM exited and ports closed`);
  await fs.promises.rm(dataDir, { recursive: true, force: true });
  console.log(`OK: Kafka ${KAFKA_VERSION} check passed in ${seconds(started)}`);
}

const watchdog = setTimeout(() => {
  console.error(`FAILED: check did not finish within ${WATCHDOG_MS} ms`);
  process.exit(1);
}, WATCHDOG_MS);

main()
  .then(() => clearTimeout(watchdog))
  .catch((err: unknown) => {
    console.error('FAILED:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
