import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { serviceRootModule } from '@oncepay/service-runtime';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { NotificationsModule } from './notifications/notifications.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** The notification-service on an environment: process.env in main.ts, a test's own in tests. */
  static readonly withEnvironment = serviceRootModule(
    AppModule,
    {
      serviceName: 'notification-service',
      envSchema,
      createPrisma: (adapter) => new PrismaClient({ adapter }),
      openApi: buildOpenApiDocument,
      messaging: { topics: [TOPICS.transferOutcomes], outbox: false },
    },
    [NotificationsModule, WebhooksModule],
  );
}
