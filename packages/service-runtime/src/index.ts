// @oncepay/service-runtime: what every service boots with: validated config, the database pool, the
// Kafka runtime (relay and consumers), retention and health, on top of the HTTP edge.
export { bootstrapService, configureServiceHttp, runService } from './bootstrap';
export { baseEnvSchema, configurationProblems, parseConfiguration, serviceEnvSchema } from './env';
export {
  HEALTH_CHECKS,
  HealthController,
  runHealthChecks,
  type HealthCheck,
  type HealthReport,
} from './health';
export {
  EventConsumer,
  messagingLogger,
  MessagingRuntime,
  type MessagingOptions,
  type TransactionalDatabase,
} from './messaging-runtime';
export {
  serviceRootModule,
  ServiceCoreModule,
  type PrismaLifecycle,
  type ServiceCoreOptions,
} from './service-core.module';
export { deliveryPositions, type PositionOf } from './delivery-positions';
export {
  absorbedDuplicateEntries,
  absorbedEntry,
  capTrailRows,
  causesOf,
  consumedEntry,
  outboxRowEntry,
  position,
  readAbsorbedDuplicates,
  readConsumedRecords,
  readOutboxRows,
  TRAIL_QUERY_LIMIT,
  TRAIL_ROWS_PER_KIND,
  type AbsorbedTrailRow,
  type ConsumedTrailRow,
  type OutboxTrailRow,
} from './trail-records';
export { RETENTION_BOUNDS } from './retention-bounds';
export { RetentionJob, retentionWindows, type RetentionTask, type RetentionWindows } from './retention-job';
export { createServiceLogger, kafkajsLogTo, PinoNestLogger } from './logging';
export { MetricsController, ServiceMetrics } from './metrics';
export { ServiceStatus } from './service-status';
export {
  KAFKA,
  MESSAGING_OPTIONS,
  OUTBOX_SIGNAL,
  PG_DATABASE,
  PRISMA,
  PRODUCER,
  RETENTION_TASKS,
  SERVICE_LOGGER,
} from './tokens';
