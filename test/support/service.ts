// Boots one service's real Nest application in the test process, on a random port, against the
// test run's PostgreSQL and Kafka, so tests can call its HTTP API.
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureHttp } from '@oncepay/nest-common';
import { testEnv } from './env';

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
    ...env,
  });
  let rootModule: Type<unknown> | undefined;
  // A fresh module registry per boot, so each boot's ConfigModule validates the environment set above.
  await jest.isolateModulesAsync(async () => {
    rootModule = await loadModule();
  });
  const app = await NestFactory.create(rootModule!, { logger: ['error'], bodyParser: false });
  configureHttp(app);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${address.port}`, app, close: () => app.close() };
}
