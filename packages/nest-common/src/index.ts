export { bootstrapService } from './bootstrap';
export { baseEnvSchema, validateEnv } from './env';
export {
  HEALTH_CHECKS,
  HealthController,
  runHealthChecks,
  type HealthCheck,
  type HealthReport,
} from './health';
export {
  KAFKA,
  PRISMA,
  ServiceCoreModule,
  type PrismaLifecycle,
  type ServiceCoreOptions,
} from './service-core.module';
