// Starts a service the same way everywhere: validated config, JSON logs, graceful shutdown.
import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { configureHttp, CORRELATION_HEADER, createHttpAdapter, type ApiKeys } from '@oncepay/http-edge';
import { startRequestSpan, tracingOn } from '@oncepay/messaging';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { configurationProblems } from './env';
import { PinoNestLogger } from './logging';
import { ServiceMetrics } from './metrics';
import { ServiceStatus } from './service-status';
import { SERVICE_LOGGER } from './tokens';

/**
 * The HTTP edge with the service's limits (its timeout and each client's rate limit, from its
 * configuration), the request metrics and the access log.
 */
export async function configureServiceHttp(app: INestApplication): Promise<void> {
  const config = app.get(ConfigService);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  await configureHttp(app, {
    requestTimeoutMs: config.getOrThrow<number>('HTTP_REQUEST_TIMEOUT_MS'),
    rateLimit: {
      max: config.getOrThrow<number>('RATE_LIMIT_MAX'),
      windowMs: config.getOrThrow<number>('RATE_LIMIT_WINDOW_MS'),
      apiKeys: config.getOrThrow<ApiKeys>('API_KEYS'),
    },
  });
  // After the edge's own hooks: the correlation id is set by then.
  observeRequests(fastify, app.get(ServiceMetrics), app.get<Logger>(SERVICE_LOGGER));
}

/**
 * Each answer in the request metrics, by the route it matched (a template: bounded), replays counted,
 * and one access log line: who asked what, the answer and how long it took (never a header or a body).
 */
function observeRequests(fastify: FastifyInstance, metrics: ServiceMetrics, logger: Logger): void {
  const access = logger.child({ logger: 'access' });
  const spans = tracingOn() ? traceRequests(fastify) : null;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const span = spans?.get(request);
    span?.end(status);
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status_code: String(status) },
      reply.elapsedTime / 1000,
    );
    const replayed = reply.getHeader('idempotent-replayed') === 'true';
    if (replayed) metrics.idempotentReplays.inc({ route });
    // Health checks and scrapes would drown the rest: logged at debug only. The line is built only when
    // its level is written (a benchmark runs at warn).
    const level = isProbe(route) ? 'debug' : 'info';
    if (access.isLevelEnabled(level))
      access[level](
        {
          method: request.method,
          route,
          status,
          durationMs: Math.round(reply.elapsedTime * 10) / 10,
          clientId: (request as { client?: { clientId: string } }).client?.clientId,
          correlationId: correlationIdOf(request.headers),
          ...(span ? { traceId: span.traceId } : {}),
          ...(replayed ? { replayed } : {}),
        },
        'request',
      );
    done();
  });
}

/**
 * Each request's server span (tracing on only), which the events it writes continue; ended by the
 * caller's onResponse, or here when the answer never comes (the client went away, the request timed
 * out), so its entry does not stay.
 */
function traceRequests(fastify: FastifyInstance): WeakMap<object, RequestSpan> {
  const spans = new WeakMap<object, RequestSpan>();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (isProbe(route)) return done();
    const span = startRequestSpan({
      method: request.method,
      route,
      correlationId: correlationIdOf(request.headers) ?? '',
      headers: request.headers,
    });
    if (span) spans.set(request, span);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    spans.get(request)?.end(499);
    done();
  });
  fastify.addHook('onTimeout', (request, _reply, done) => {
    spans.get(request)?.end(408);
    done();
  });
  return spans;
}

type RequestSpan = NonNullable<ReturnType<typeof startRequestSpan>>;

/** Health checks and metric scrapes: neither traced nor logged above debug. */
function isProbe(route: string): boolean {
  return route.startsWith('/health') || route === '/metrics';
}

function correlationIdOf(headers: Record<string, unknown>): string | undefined {
  const value = headers[CORRELATION_HEADER];
  return typeof value === 'string' ? value : undefined;
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
  const logger = new PinoNestLogger(app.get<Logger>(SERVICE_LOGGER));
  app.useLogger(logger);
  warnOfDevApiKeys(config, logger);
  await configureServiceHttp(app);
  // Lets providers close Kafka clients and database pools before the process exits.
  app.enableShutdownHooks();
  const port = config.getOrThrow<number>('PORT');
  await app.listen(port, config.getOrThrow<string>('HOST'));
  logger.log(`${serviceName} listening on port ${port}`, 'bootstrap');
  return app;
}

/**
 * Loud, because a production service that accepts the published dev keys lets anyone who has read the
 * README in, as an operator too. (The configuration refuses them there unless ALLOW_DEV_API_KEYS=true.)
 */
function warnOfDevApiKeys(config: ConfigService, logger: PinoNestLogger): void {
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
  bootstrapService(rootModuleFor(env), serviceName).then(
    (app) => app.get(ServiceStatus).onFatal(() => exitAfterClosing(app)),
    (error: unknown) => {
      console.error(`${serviceName} failed to start:`, error);
      process.exit(1);
    },
  );
}

/** How long a service that cannot go on may take to close before it exits anyway. */
const FATAL_CLOSE_TIMEOUT_MS = 10_000;

/** Closes the app (HTTP, clients, pools) and exits 1, for a supervisor to start a fresh process. */
function exitAfterClosing(app: INestApplication): void {
  setTimeout(() => process.exit(1), FATAL_CLOSE_TIMEOUT_MS).unref();
  void app.close().finally(() => process.exit(1));
}
