import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { ServiceCoreModule } from '@oncepay/nest-common';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { TransfersModule } from './transfers/transfers.module';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      serviceName: 'transfer-service',
      envSchema,
      createPrisma: (adapter) => new PrismaClient({ adapter }),
      openApi: buildOpenApiDocument,
      messaging: {
        topics: [TOPICS.transferRequests, TOPICS.ledgerResults, TOPICS.transferOutcomes],
        outbox: true,
      },
    }),
    TransfersModule,
  ],
})
export class AppModule {}
