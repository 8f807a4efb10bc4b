// Boots one service's real Nest application in the test process, on a random port, against the
// test run's PostgreSQL and Kafka, so tests can call its HTTP API.
import { RATE_LIMIT_LIFTED } from '../../scripts/infra/services';
import { randomBytes } from 'node:crypto';
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { testEnv } from './env';

/**
 * The Kafka namespace of every service a test file boots: services in one file talk to each other,
 * never to another file's services, although all use the same topic names.
 */
export const TEST_KAFKA_NAMESPACE = `test-${randomBytes(4).toString('hex')}.`;

/** The real topic name behind a logical one (TOPICS.*) for the services this test file boots. */
export function testTopic(topic: string): string {
  return TEST_KAFKA_NAMESPACE + topic;
}

/** The API clients every test service accepts. */
export const TEST_CLIENTS = {
  a: {
    id: 'client-a',
    role: 'client',
    apiKey: 'test-api-key-client-a',
    auth: { authorization: 'Bearer test-api-key-client-a' },
  },
  b: {
    id: 'client-b',
    role: 'client',
    apiKey: 'test-api-key-client-b',
    auth: { authorization: 'Bearer test-api-key-client-b' },
  },
  /** The only one that may open accounts allowed to go negative (treasuries). */
  operator: {
    id: 'operator',
    role: 'operator',
    apiKey: 'test-api-key-operator',
    auth: { authorization: 'Bearer test-api-key-operator' },
  },
} as const;

/** The API_KEYS line that configures TEST_CLIENTS. */
export const TEST_API_KEYS = Object.values(TEST_CLIENTS)
  .map((client) => `${client.id}:${client.role}:${client.apiKey}`)
  .join(',');

export interface TestService {
  baseUrl: string;
  app: INestApplication;
  close(): Promise<void>;
}

/**
 * Starts the service `moduleFor` builds on the test environment (the test run's broker, a namespace of
 * this file's, the test clients) with `env` on top: the same way main.ts builds it on process.env.
 */
export async function startTestService(
  moduleFor: (env: Record<string, unknown>) => DynamicModule,
  env: { DATABASE_URL: string } & Record<string, string>,
): Promise<TestService> {
  // Loaded here, not at the top: most files that import test-support never start a service.
  const { NestFactory } = await import('@nestjs/core');
  const { createHttpAdapter } = await import('@oncepay/http-edge');
  const { configureServiceHttp, ServiceStatus } = await import('@oncepay/service-runtime');
  const app = await NestFactory.create(
    moduleFor({
      PORT: '0',
      KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
      LOG_LEVEL: 'warn',
      KAFKA_NAMESPACE: TEST_KAFKA_NAMESPACE,
      API_KEYS: TEST_API_KEYS,
      // Tests send bursts as one client; the rate limit has its own test, which sets its own.
      ...RATE_LIMIT_LIFTED,
      ...env,
    }),
    createHttpAdapter(),
    { logger: ['error'], bodyParser: false },
  );
  await configureServiceHttp(app);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  // Consumers join their groups in the background; a test starts once they consume (or one failed).
  await untilConsumersSettle(app.get(ServiceStatus));
  const address = app.getHttpServer().address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${address.port}`, app, close: () => app.close() };
}

const CONSUMERS_JOIN_TIMEOUT_MS = 60_000;

async function untilConsumersSettle(status: {
  consumerChecks(): { check(): Promise<unknown> }[];
  fatal: string | null;
}): Promise<void> {
  const deadline = Date.now() + CONSUMERS_JOIN_TIMEOUT_MS;
  while (status.fatal === null && Date.now() < deadline) {
    const results = await Promise.allSettled(status.consumerChecks().map((consumer) => consumer.check()));
    if (results.every((result) => result.status === 'fulfilled')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
