export { ApiKeyGuard, apiKeysSchema, ClientId } from './api-key.guard';
export { bootstrapService, runService } from './bootstrap';
export { baseEnvSchema, configurationProblems, parseConfiguration } from './env';
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
export { RETENTION_BOUNDS, RetentionJob, type RetentionTask } from './retention-job';
export {
  KAFKA,
  MESSAGING_OPTIONS,
  OUTBOX_SIGNAL,
  PG_DATABASE,
  PRISMA,
  PRODUCER,
  RETENTION_TASKS,
} from './tokens';
export { configureHttp, createHttpAdapter, CORRELATION_HEADER, MAX_BODY_BYTES } from './http';
export {
  documents,
  jsonContent,
  MINOR_UNITS_NOTE,
  openApiDocument,
  pageSchema,
  problemResponse,
  problemResponses,
  registerIdempotencyKey,
  serviceApiRegistry,
  type Describes,
  type OpenApiDocument,
} from './openapi';
export { DOCS_PATH, OPENAPI_DOCUMENT, OPENAPI_JSON_PATH } from './openapi-docs';
export {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsFilter,
  ProblemException,
  problemDocument,
  type ProblemDocument,
} from './problem-details';
export { ZodValidationPipe } from './zod-validation.pipe';
