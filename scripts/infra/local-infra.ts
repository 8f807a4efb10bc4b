// Brings up the two pieces of real infrastructure OncePay stands on, PostgreSQL and a Kafka broker,
// or reuses them when a local stack already runs on the configured ports.
import path from 'node:path';
import { isPortOpen } from './net';
import { startKafka } from './kafka';
import { canConnect, startPostgres } from './postgres';
import { kafkaBrokers, postgresUrl, stackConfig } from './stack-config';

export interface LocalInfra {
  /** URL of the `postgres` maintenance database, for creating and dropping databases. */
  postgresAdminUrl: string;
  kafkaBrokers: string;
  /** True when this call started the servers (and stop() will stop them). */
  startedHere: boolean;
  stop(): Promise<void>;
}

export async function startLocalInfra(stateDir: string, log: (line: string) => void): Promise<LocalInfra> {
  const adminUrl = postgresUrl('postgres');
  const postgres = startPostgres({
    dataDir: path.join(stateDir, 'postgres'),
    logFile: path.join(stateDir, 'logs', 'postgres.log'),
    ...stackConfig.postgres,
  });
  // Started side by side: the JVM takes the longest, PostgreSQL is ready meanwhile.
  const kafka = startKafka({
    dataDir: path.join(stateDir, 'kafka'),
    logFile: path.join(stateDir, 'logs', 'kafka.log'),
    ...stackConfig.kafka,
  });
  const [pg, broker] = await Promise.allSettled([postgres, kafka]);
  if (pg.status === 'rejected' || broker.status === 'rejected') {
    // Never leave half a stack behind.
    if (pg.status === 'fulfilled') await pg.value.stop();
    if (broker.status === 'fulfilled') await broker.value.stop();
    throw pg.status === 'rejected' ? pg.reason : (broker as PromiseRejectedResult).reason;
  }
  log(
    `PostgreSQL on 127.0.0.1:${stackConfig.postgres.port}, Kafka on ${broker.value.brokers} (logs in ${stateDir}/logs)`,
  );
  return {
    postgresAdminUrl: adminUrl,
    kafkaBrokers: broker.value.brokers,
    startedHere: true,
    async stop() {
      await Promise.allSettled([broker.value.stop(), pg.value.stop()]);
    },
  };
}

/** Returns the running infrastructure when both servers already answer, null when neither runs. */
export async function findRunningInfra(): Promise<LocalInfra | null> {
  const [pgOpen, kafkaOpen] = await Promise.all([
    isPortOpen(stackConfig.postgres.port),
    isPortOpen(stackConfig.kafka.port),
  ]);
  if (!pgOpen && !kafkaOpen) return null;
  const adminUrl = postgresUrl('postgres');
  if (!pgOpen || !kafkaOpen || !(await canConnect(adminUrl))) {
    throw new Error(
      `Found something on port ${stackConfig.postgres.port} (PostgreSQL) or ${stackConfig.kafka.port} (Kafka) ` +
        'that is not a complete OncePay stack. Stop it, or point ONCEPAY_POSTGRES_PORT / ONCEPAY_KAFKA_PORT elsewhere.',
    );
  }
  return {
    postgresAdminUrl: adminUrl,
    kafkaBrokers: kafkaBrokers(),
    startedHere: false,
    stop: async () => undefined,
  };
}
