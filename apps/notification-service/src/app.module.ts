import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { ServiceCoreModule } from '@oncepay/nest-common';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { NotificationsModule } from './notifications/notifications.module';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      serviceName: 'notification-service',
      envSchema,
      createPrisma: (adapter) => new PrismaClient({ adapter }),
      openApi: buildOpenApiDocument,
      messaging: { topics: [TOPICS.transferOutcomes], outbox: false },
    }),
    NotificationsModule,
  ],
})
export class AppModule {}
