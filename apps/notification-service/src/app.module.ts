import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { ServiceCoreModule } from '@oncepay/nest-common';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { NotificationsModule } from './notifications/notifications.module';

@Module({})
export class AppModule {
  /**
   * The notification-service on this environment: process.env in production (main.ts), a test's own in tests,
   * validated against envSchema before anything starts.
   */
  static withEnvironment(this: void, env: Record<string, unknown>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: 'notification-service',
          envSchema,
          env,
          createPrisma: (adapter) => new PrismaClient({ adapter }),
          openApi: buildOpenApiDocument,
          messaging: { topics: [TOPICS.transferOutcomes], outbox: false },
        }),
        NotificationsModule,
      ],
    };
  }
}
