import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { purgeExpiredIdempotencyKeys } from '@oncepay/dedup';
import { RETENTION_BOUNDS, ServiceCoreModule } from '@oncepay/nest-common';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { TransfersModule } from './transfers/transfers.module';

@Module({})
export class AppModule {
  /**
   * The transfer-service on this environment: process.env in production (main.ts), a test's own in tests,
   * validated against envSchema before anything starts.
   */
  static withEnvironment(this: void, env: Record<string, unknown>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: 'transfer-service',
          envSchema,
          env,
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
    };
  }
}
