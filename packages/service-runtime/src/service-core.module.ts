// What every OncePay service needs before its own code runs: validated configuration, a Prisma
// client on its own database, a Kafka client, and GET /health over both. Apps import it once.
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import {
  createKafkaClient,
  IdempotentProducer,
  KafkaHealthProbe,
  OutboxSignal,
  kafkaSecurityOf,
  parseBrokerList,
  withTimeout,
  type KafkaClientOptions,
  type KafkaSasl,
} from '@oncepay/messaging';
import type { ZodType } from 'zod';
import { parseConfiguration } from './env';
import { HEALTH_CHECKS, HealthController, type HealthCheck } from './health';
import {
  messagingLogger,
  MessagingRuntime,
  type MessagingOptions,
  type TransactionalDatabase,
} from './messaging-runtime';
import { RetentionJob, type RetentionTask } from './retention-job';
import { MetricsController, ServiceMetrics, type OutboxBacklog } from './metrics';
import { ServiceStatus } from './service-status';
import { OPENAPI_DOCUMENT, type OpenApiDocument } from '@oncepay/http-edge';
import { PgDatabase, type PrismaRawSql } from '@oncepay/sql';
import {
  KAFKA,
  MESSAGING_OPTIONS,
  OUTBOX_SIGNAL,
  PG_DATABASE,
  PG_POOL,
  PRISMA,
  PRODUCER,
  RETENTION_TASKS,
  SERVICE_LOGGER,
} from './tokens';
import { createServiceLogger, kafkajsLogTo } from './logging';
import { flushTracing } from './tracing';
import type { Logger } from 'pino';

/** The part of a generated PrismaClient this module relies on. */
export interface PrismaLifecycle extends TransactionalDatabase, PrismaRawSql {
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

export interface ServiceCoreOptions {
  serviceName: string;
  /** `baseEnvSchema` extended with the service's own variables. */
  envSchema: ZodType<Record<string, unknown>>;
  /**
   * The environment the service runs on (process.env in production, a test's own in tests), validated
   * against envSchema here: ConfigService then serves the validated values, and process.env is neither
   * read again nor written.
   */
  env: Record<string, unknown>;
  /** Builds the app's own generated PrismaClient on the given driver adapter. */
  createPrisma: (adapter: PrismaPg) => PrismaLifecycle;
  /** The service's Kafka side: topics to ensure, and whether it runs an outbox relay. */
  messaging: MessagingOptions;
  /** Builds the service's OpenAPI document, served at /docs by configureHttp; built at boot, so a broken one stops it. */
  openApi?: () => OpenApiDocument;
  /** The service's own retention tasks, run with the built-in ones (processed messages, sent outbox rows). */
  retentionTasks?: RetentionTask[];
}

@Injectable()
class ClientsShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaLifecycle,
    private readonly kafkaProbe: KafkaHealthProbe,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.kafkaProbe.close(), this.prisma.$disconnect(), flushTracing()]);
  }
}

@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    const config = parseConfiguration(options.envSchema, options.env);
    return {
      module: ServiceCoreModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          validatePredefined: false,
          load: [() => config],
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        {
          provide: SERVICE_LOGGER,
          inject: [ConfigService],
          useFactory: (config: ConfigService) =>
            createServiceLogger(options.serviceName, config.getOrThrow<string>('LOG_LEVEL')),
        },
        {
          // One pool per service, shared by Prisma and the few node-postgres hot paths (PgDatabase).
          provide: PG_POOL,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => {
            const pool = new Pool({
              connectionString: config.getOrThrow<string>('DATABASE_URL'),
              max: config.getOrThrow<number>('DATABASE_POOL_SIZE'),
              connectionTimeoutMillis: 5_000,
              // A transaction left open between statements (its holder hung) is ended by the database
              // after a minute: rolled back, its locks freed. Prisma bounds its own transactions; this
              // bounds PgDatabase's, such as the outbox relay's around a Kafka send.
              idle_in_transaction_session_timeout: 60_000,
              // No statement runs without a bound: a stuck one is cancelled (57014, retriable).
              statement_timeout: config.getOrThrow<number>('DATABASE_STATEMENT_TIMEOUT_MS'),
            });
            // An idle connection the database dropped (a restart) is an 'error' on the pool; without a
            // listener it would crash the service. The pool discards that connection by itself.
            pool.on('error', (error) =>
              messagingLogger('DatabasePool').warn('idle database connection lost', { error: error.message }),
            );
            // pg-pool listens for a connection's errors only while it is idle or inside pool.query; a
            // restart can reach one in between, and an 'error' without a listener ends the process
            // (the long PostgreSQL-stop chaos run did). Whoever holds that connection sees the failure
            // on its next query and gives it back broken, so this listener only has to exist.
            pool.on('connect', (client) => client.on('error', () => undefined));
            return pool;
          },
        },
        {
          provide: PRISMA,
          inject: [PG_POOL],
          // Prisma's $disconnect ends the pool, after everything that used it has stopped.
          useFactory: (pool: Pool) => options.createPrisma(new PrismaPg(pool, { disposeExternalPool: true })),
        },
        { provide: PG_DATABASE, inject: [PG_POOL], useFactory: (pool: Pool) => new PgDatabase(pool) },
        {
          provide: OUTBOX_SIGNAL,
          inject: [PG_DATABASE],
          useFactory: (db: PgDatabase) => new OutboxSignal(db, messagingLogger('OutboxSignal')),
        },
        {
          provide: KAFKA,
          inject: [ConfigService, SERVICE_LOGGER],
          useFactory: (config: ConfigService, logger: Logger) =>
            createKafkaClient({
              clientId: options.serviceName,
              brokers: parseBrokerList(config.getOrThrow<string>('KAFKA_BROKERS')),
              ...kafkaSecurityFromConfig(config),
              log: kafkajsLogTo(logger),
            }),
        },
        {
          provide: KafkaHealthProbe,
          inject: [KAFKA],
          useFactory: (kafka: ConstructorParameters<typeof KafkaHealthProbe>[0]) =>
            new KafkaHealthProbe(kafka),
        },
        {
          provide: HEALTH_CHECKS,
          inject: [PRISMA, KafkaHealthProbe],
          useFactory: (prisma: PrismaLifecycle, kafkaProbe: KafkaHealthProbe): HealthCheck[] => [
            { name: 'database', check: () => checkDatabase(prisma) },
            { name: 'kafka', check: async () => ({ ...(await kafkaProbe.check()) }) },
          ],
        },
        {
          provide: PRODUCER,
          inject: [KAFKA],
          useFactory: (kafka: ConstructorParameters<typeof IdempotentProducer>[0]) =>
            new IdempotentProducer(kafka),
        },
        { provide: MESSAGING_OPTIONS, useValue: options.messaging },
        {
          provide: ServiceMetrics,
          inject: [PG_POOL, PG_DATABASE],
          useFactory: (pool: Pool, db: PgDatabase) => {
            const metrics = new ServiceMetrics(options.serviceName);
            metrics.watchPool(pool);
            if (options.messaging.outbox) metrics.watchOutbox(() => readOutboxBacklog(db));
            return metrics;
          },
        },
        MessagingRuntime,
        ServiceStatus,
        ClientsShutdown,
        { provide: RETENTION_TASKS, useValue: options.retentionTasks ?? [] },
        RetentionJob,
        ...(options.openApi ? [{ provide: OPENAPI_DOCUMENT, useFactory: options.openApi }] : []),
      ],
      exports: [
        PRISMA,
        PG_DATABASE,
        OUTBOX_SIGNAL,
        MESSAGING_OPTIONS,
        KAFKA,
        PRODUCER,
        ServiceStatus,
        ServiceMetrics,
        SERVICE_LOGGER,
      ],
    };
  }
}

async function readOutboxBacklog(db: PgDatabase): Promise<OutboxBacklog> {
  // Both statuses straight off the (status, position) index, in one statement.
  const [row] = await db.query<{ pending: number; parked: number; oldest_age_seconds: number | null }[]>(
    `SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS pending,
            count(*) FILTER (WHERE status = 'PARKED')::int AS parked,
            EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status = 'PENDING'))::float8 AS oldest_age_seconds
       FROM outbox_messages WHERE status IN ('PENDING', 'PARKED')`,
  );
  return {
    pending: row?.pending ?? 0,
    parked: row?.parked ?? 0,
    oldestAgeSeconds: Math.max(0, row?.oldest_age_seconds ?? 0),
  };
}

async function checkDatabase(prisma: PrismaLifecycle): Promise<Record<string, unknown>> {
  await withTimeout(prisma.$queryRawUnsafe('SELECT 1'), 2_000, 'database SELECT 1');
  return {};
}

/**
 * A service's root module on an environment (process.env in main.ts, a test's own in tests):
 * ServiceCoreModule on that environment, then the service's own modules.
 */
export function serviceRootModule(
  root: Type<unknown>,
  core: Omit<ServiceCoreOptions, 'env'>,
  modules: NonNullable<ModuleMetadata['imports']>,
): (env: Record<string, unknown>) => DynamicModule {
  return (env) => ({ module: root, imports: [ServiceCoreModule.forRoot({ ...core, env }), ...modules] });
}

/** TLS and SASL from the configuration; the CA file is read at boot, so a wrong path stops the service. */
function kafkaSecurityFromConfig(config: ConfigService): Pick<KafkaClientOptions, 'tls' | 'sasl'> {
  return kafkaSecurityOf({
    KAFKA_TLS: config.getOrThrow<boolean>('KAFKA_TLS'),
    KAFKA_TLS_CA_FILE: config.get<string>('KAFKA_TLS_CA_FILE'),
    KAFKA_SASL_MECHANISM: config.get<KafkaSasl['mechanism']>('KAFKA_SASL_MECHANISM'),
    KAFKA_SASL_USERNAME: config.get<string>('KAFKA_SASL_USERNAME'),
    KAFKA_SASL_PASSWORD: config.get<string>('KAFKA_SASL_PASSWORD'),
  });
}
