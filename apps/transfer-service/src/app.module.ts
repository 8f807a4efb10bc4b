import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { purgeExpiredIdempotencyKeys } from '@oncepay/dedup';
import { RETENTION_BOUNDS, ServiceCoreModule } from '@oncepay/nest-common';
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
      retentionTasks: [
        {
          name: 'idempotency_keys',
          run: (db, now) => purgeExpiredIdempotencyKeys(db, { now, ...RETENTION_BOUNDS }),
        },
      ],
    }),
    TransfersModule,
  ],
})
export class AppModule {}
