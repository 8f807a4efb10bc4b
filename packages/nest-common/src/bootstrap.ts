// Starts a service the same way everywhere: validated config, JSON logs, graceful shutdown.
import { ConsoleLogger, type INestApplication, type LogLevel, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { configureHttp, createHttpAdapter } from './http';

const LEVELS_UP_TO: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** `rootModule` must import ServiceCoreModule, which validates PORT and LOG_LEVEL. */
export async function bootstrapService(
  rootModule: Type<unknown>,
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
  configureHttp(app);
  // Lets providers close Kafka clients and database pools before the process exits.
  app.enableShutdownHooks();
  const port = config.getOrThrow<number>('PORT');
  await app.listen(port, '0.0.0.0');
  logger.log(`${serviceName} listening on port ${port}`);
  return app;
}
