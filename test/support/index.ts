// Helpers for tests that run against the real PostgreSQL and Kafka started by `npm test`.
export { createTestDatabase, testDatabaseOn, type TestDatabase } from './database';
export { testEnv } from './env';
export { createTestKafka, createTestTopics, uniqueName } from './kafka';
export { createPrismaClient, type PrismaClientOf } from './prisma';
export { createPgDatabase } from './pg-database';
export {
  startTestService,
  TEST_API_KEYS,
  TEST_CLIENTS,
  TEST_KAFKA_NAMESPACE,
  testTopic,
  type TestService,
} from './service';
export { describeHealthEndpoint } from './health-suite';
export { sampleTransferRequested } from './events';
export { waitFor } from './wait';
export { countEffects, createEffectsTable, effectRecordingHandler, type TransactionalDb } from './effects';
export { sampleTransferCompleted, sampleTransferFailed, type OutcomeEventOverrides } from './outcome-events';
export { requestJson, type JsonResponse } from './http';
export { deadLetterOf, transferRequested, type TransferRequestFacts } from './transfer-requests';
export { bootServices, type BootedServices } from './boot-services';
export {
  describeServedOpenApi,
  expectValidOpenApi,
  operationsOf,
  schemaErrors,
  type ObjectSchema,
  type ServedOpenApi,
} from './openapi';
export { killAllKillableServices, startKillableService, type KillableService } from './killable-service';
export { dashboardMetricNames } from './dashboard';
