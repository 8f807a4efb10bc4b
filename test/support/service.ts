// Boots one service's real Nest application in the test process, on a random port, against the
// test run's PostgreSQL and Kafka, so tests can call its HTTP API.
import { randomBytes } from 'node:crypto';
import type { INestApplication, Type } from '@nestjs/common';
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
    apiKey: 'test-api-key-client-a',
    auth: { authorization: 'Bearer test-api-key-client-a' },
  },
  b: {
    id: 'client-b',
    apiKey: 'test-api-key-client-b',
    auth: { authorization: 'Bearer test-api-key-client-b' },
  },
} as const;

export interface TestService {
  baseUrl: string;
  app: INestApplication;
  close(): Promise<void>;
}

/**
 * `loadModule` must import the app module lazily: its ConfigModule reads the environment when the
 * module is evaluated, which must happen after the variables below are set.
 */
export async function startTestService(
  loadModule: () => Promise<Type<unknown>>,
  env: { DATABASE_URL: string } & Record<string, string>,
): Promise<TestService> {
  Object.assign(process.env, {
    PORT: '0',
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    LOG_LEVEL: 'warn',
    KAFKA_NAMESPACE: TEST_KAFKA_NAMESPACE,
    API_KEYS: Object.values(TEST_CLIENTS)
      .map((client) => `${client.id}:${client.apiKey}`)
      .join(','),
    ...env,
  });
  let app: INestApplication | undefined;
  // A fresh module registry per boot, so each boot's ConfigModule validates the environment set above.
  // Nest and nest-common come from that same registry: one copy of each class, as in production.
  await jest.isolateModulesAsync(async () => {
    const rootModule = await loadModule();
    const { NestFactory } = await import('@nestjs/core');
    const { configureHttp, createHttpAdapter } = await import('@oncepay/nest-common');
    app = await NestFactory.create(rootModule, createHttpAdapter(), { logger: ['error'], bodyParser: false });
    configureHttp(app);
  });
  const started: INestApplication | undefined = app;
  if (!started) throw new Error('the service module did not load');
  started.enableShutdownHooks();
  await started.listen(0, '127.0.0.1');
  const address = started.getHttpServer().address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${address.port}`, app: started, close: () => started.close() };
}
