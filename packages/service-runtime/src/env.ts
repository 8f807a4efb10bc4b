// Environment validation shared by every service: each app builds its schema with `serviceEnvSchema`
// in its config module and hands it to ServiceCoreModule.forRoot with the environment, so a bad
// variable stops the boot.
import { z } from 'zod';
import { apiKeysSchema } from '@oncepay/http-edge';
import { kafkaSecurityEnvShape, kafkaSecurityRules } from '@oncepay/messaging';
import { RETENTION_DEFAULT_HOURS } from './retention-bounds';

export const baseEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535),
  /**
   * The address it listens on: loopback by default, since `npm start` runs the services on the host
   * with the published dev keys (an operator's among them). A container sets 0.0.0.0, its port
   * published on 127.0.0.1 (docker-compose.yml).
   */
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  /**
   * Connections the service may hold. HTTP requests, the consumer's batch transaction and the outbox
   * relay share them; too few and they queue for a connection, too many and PostgreSQL thrashes.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
  /**
   * The longest one SQL statement may run (PostgreSQL's statement_timeout on every connection). A
   * statement past it is cancelled: the HTTP request answers 503, a consumer retries its batch.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /** Comma separated host:port list. */
  KAFKA_BROKERS: z.string().min(1),
  ...kafkaSecurityEnvShape,
  /**
   * Prefix for every topic and consumer group, so several environments (or test runs) can share one
   * cluster without seeing each other's messages. Empty in a normal deployment.
   */
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^([a-z0-9-]+\.)?$/, 'must be empty or lower-case letters, digits and dashes ending in a dot')
    .default(''),
  /**
   * Partitions of the topics a service uses; the unit of consumer parallelism: at most this many
   * instances of a service consume at once. Sized for one instance each (docs/performance.md): fewer
   * partitions per consumer mean fuller batches. Raising it raises existing topics at the next boot
   * (never lowered); see docs/architecture.md, "Partitions and replication".
   */
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(256).default(3),
  /**
   * Replicas of each topic a service creates. Unset: min(3, brokers the cluster reports), so 1 on a dev
   * broker and 3 in a three-broker production cluster; set it in production so a broker that is down
   * at boot cannot change it. An existing topic with another factor stops the boot (never rewritten).
   */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * Replicas that must have a write before an acks=all send succeeds (the topics' min.insync.replicas).
   * Unset: the replication factor minus one, at least 1 (2 of 3: one broker may be down, no acked
   * write lives on one disk only). An existing topic with another value stops the boot.
   */
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * Most events a consumer handles in one database transaction. Larger: fewer commits, more
   * throughput; smaller: shorter transactions and lock holds, less to redo after a crash.
   */
  CONSUMER_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(200),
  /**
   * How long each hop may wait to gather a fuller batch: the outbox relay after a wake-up, the
   * consumer's fetch at the broker. Every pass and batch costs a transaction and a Kafka request
   * whatever its size, so under load a few milliseconds buy much fuller batches; each hop adds at
   * most this much latency. 0: every hop acts at once.
   */
  BATCH_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(10),
  /**
   * Failed sends an outbox row may have (the broker's own failures not counted) before the relay parks
   * it; the rows of its key then wait for an operator (`npm run outbox`), every other key flows.
   */
  OUTBOX_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(8),
  /**
   * `production` refuses what only a dev stack may have (the published dev API keys). Set it wherever
   * the service holds real money; the images set it.
   */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** `clientId:role:key,...` (the key plain or as sha256=<hex>): who may call the service's /v1 API, as what. */
  API_KEYS: apiKeysSchema,
  /**
   * Requests each client may make to the /v1 API per RATE_LIMIT_WINDOW_MS (counted per service instance;
   * by address for requests without a valid key); over it, 429 with Retry-After.
   */
  RATE_LIMIT_MAX: z.coerce.number().int().min(1).max(1_000_000).default(100),
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(1_000),
  /** A request that takes longer than this to arrive (headers and body) is cut off: a slow client cannot hold a connection. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(300_000).default(10_000),
  /** Lets the published dev API keys in with NODE_ENV=production: for a demo stack only, never for real money. */
  ALLOW_DEV_API_KEYS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /**
   * How long a consumer remembers a processed message id. Must exceed the topics' retention (Kafka's
   * default is 7 days): consumers may re-read a topic from its beginning, and a forgotten id would be
   * processed again.
   */
  PROCESSED_MESSAGES_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(24)
    .max(87_600)
    .default(RETENTION_DEFAULT_HOURS.processedMessages),
  /** How long SENT outbox rows are kept as history. */
  OUTBOX_SENT_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(87_600)
    .default(RETENTION_DEFAULT_HOURS.outboxSent),
  /**
   * How often the retention job runs. Often and short: each run deletes what expired since the last
   * one, so a run's work stays small and even (docs/adr/0010-retention-batched-deletes-under-a-time-budget.md).
   */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(10_000),
  /**
   * How long one run may spend on each table: no new DELETE batch starts after it (one batch always
   * runs, so 0 means one batch per table and run). What a table sheds per second is about this
   * budget over the interval times its delete rate.
   */
  RETENTION_BUDGET_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  /**
   * For a soak benchmark or a test only: replaces all three retention windows (processed message ids,
   * SENT outbox rows, idempotency keys, whose API contract says 24 h) with this many seconds, so a
   * run of minutes reaches its steady state. A separate variable rather than a lower minimum on the
   * ones above, so that shortening the dedup window below any redelivery delay takes a deliberate
   * setting, and it is refused with NODE_ENV=production: a message redelivered after its id was
   * forgotten would be applied twice.
   */
  SOAK_RETENTION_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /**
   * OpenTelemetry tracing (tracing.ts), read by the SDK itself as the specification says and checked
   * here so a typo stops the boot: off while no endpoint is set.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).optional(),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
});

type BaseEnv = z.output<typeof baseEnvSchema>;

/** A service's environment: the base variables, overridden or extended by `shape`, with the rules across them. */
export function serviceEnvSchema<Shape extends z.ZodRawShape>(shape: Shape) {
  return baseEnvSchema.extend(shape).superRefine((env, ctx) => baseEnvRules(env as BaseEnv, ctx));
}

function baseEnvRules(env: BaseEnv, ctx: z.RefinementCtx): void {
  kafkaSecurityRules(env, ctx, env.NODE_ENV);
  if (env.NODE_ENV === 'production' && env.SOAK_RETENTION_SECONDS !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['SOAK_RETENTION_SECONDS'],
      message:
        'shortens the dedup window for a soak or a test, refused with NODE_ENV=production ' +
        '(set PROCESSED_MESSAGES_RETENTION_HOURS and OUTBOX_SENT_RETENTION_HOURS instead)',
    });
  const { KAFKA_REPLICATION_FACTOR: factor, KAFKA_MIN_INSYNC_REPLICAS: minIsr } = env;
  if (factor !== undefined && minIsr !== undefined && minIsr > factor)
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_MIN_INSYNC_REPLICAS'],
      message: `${minIsr} exceeds KAFKA_REPLICATION_FACTOR=${factor}: no acks=all write could succeed`,
    });
  const devKeyClients = env.API_KEYS.devKeyClients;
  if (env.NODE_ENV === 'production' && devKeyClients.length > 0 && !env.ALLOW_DEV_API_KEYS)
    ctx.addIssue({
      code: 'custom',
      path: ['API_KEYS'],
      message:
        `holds the published dev key of ${devKeyClients.join(', ')}, refused with NODE_ENV=production ` +
        '(mint real keys with `npm run api-key -- <client id> <role>`; ALLOW_DEV_API_KEYS=true is for a demo stack only)',
    });
}

/** The validated configuration; throws, naming each invalid variable on a line of its own. */
export function parseConfiguration<S extends z.ZodType>(schema: S, env: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success)
    throw new Error(`Invalid configuration:\n${describeIssues(result.error.issues).join('\n')}`);
  return result.data;
}

/** One line per invalid variable (`  NAME: what is wrong`); empty when the environment is valid. */
export function configurationProblems(schema: z.ZodType, env: Record<string, unknown>): string[] {
  const result = schema.safeParse(env);
  return result.success ? [] : describeIssues(result.error.issues);
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
}
