// Starts a service the same way everywhere: validated config, JSON logs, graceful shutdown.
import {
  ConsoleLogger,
  type DynamicModule,
  type INestApplication,
  type LogLevel,
  type Type,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { z } from 'zod';
import { configurationProblems } from './env';
import { configureHttp, createHttpAdapter, type ApiKeys } from '@oncepay/http-edge';

const LEVELS_UP_TO: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** The HTTP edge with the service's limits: its timeout and each client's rate limit, from its configuration. */
export function configureServiceHttp(app: INestApplication): Promise<void> {
  const config = app.get(ConfigService);
  return configureHttp(app, {
    requestTimeoutMs: config.getOrThrow<number>('HTTP_REQUEST_TIMEOUT_MS'),
    rateLimit: {
      max: config.getOrThrow<number>('RATE_LIMIT_MAX'),
      windowMs: config.getOrThrow<number>('RATE_LIMIT_WINDOW_MS'),
      apiKeys: config.getOrThrow<ApiKeys>('API_KEYS'),
    },
  });
}

/** `rootModule` must import ServiceCoreModule, which validates PORT and LOG_LEVEL. */
export async function bootstrapService(
  rootModule: Type<unknown> | DynamicModule,
  serviceName: string,
): Promise<INestApplication> {
  const app = await NestFactory.create(rootModule, createHttpAdapter(), {
    bufferLogs: true,
    bodyParser: false,
  });
  const config = app.get(ConfigService);
  const logger = new ConsoleLogger(serviceName, {
    json: true,
    logLevels: LEVELS_UP_TO[config.getOrThrow<string>('LOG_LEVEL')],
  });
  app.useLogger(logger);
  warnOfDevApiKeys(config, logger);
  await configureServiceHttp(app);
  // Lets providers close Kafka clients and database pools before the process exits.
  app.enableShutdownHooks();
  const port = config.getOrThrow<number>('PORT');
  await app.listen(port, '0.0.0.0');
  logger.log(`${serviceName} listening on port ${port}`);
  return app;
}

/**
 * Loud, because a production service that accepts the published dev keys lets anyone who has read the
 * README in, as an operator too. (The configuration refuses them there unless ALLOW_DEV_API_KEYS=true.)
 */
function warnOfDevApiKeys(config: ConfigService, logger: ConsoleLogger): void {
  const { devKeyClients } = config.getOrThrow<ApiKeys>('API_KEYS');
  if (devKeyClients.length === 0 || config.getOrThrow<string>('NODE_ENV') !== 'production') return;
  logger.warn(
    `NODE_ENV=production with ALLOW_DEV_API_KEYS=true: the published dev API keys of ${devKeyClients.join(', ')} ` +
      'are accepted. Fine for a demo stack; never with real money.',
  );
}

/**
 * A service's `main`: checks the environment against the service's schema before anything of Nest
 * runs, so a bad setting prints one line per invalid variable and exits 1 (no stack trace, no colours:
 * in a container log that is all an operator needs); then builds the root module on that environment
 * and starts it.
 */
export function runService(
  serviceName: string,
  envSchema: z.ZodType,
  env: Record<string, unknown>,
  rootModuleFor: (env: Record<string, unknown>) => DynamicModule,
): void {
  const problems = configurationProblems(envSchema, env);
  if (problems.length > 0) {
    console.error(`${serviceName}: invalid configuration, not starting:\n${problems.join('\n')}`);
    process.exit(1);
  }
  bootstrapService(rootModuleFor(env), serviceName).catch((error: unknown) => {
    console.error(`${serviceName} failed to start:`, error);
    process.exit(1);
  });
}
