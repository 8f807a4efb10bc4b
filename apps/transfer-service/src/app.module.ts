import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { purgeExpiredIdempotencyKeys } from '@oncepay/dedup';
import { serviceRootModule } from '@oncepay/service-runtime';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { purgeStaleEvents } from './transfers/trail/stale-events';
import { TransfersModule } from './transfers/transfers.module';

@Module({})
export class AppModule {
  /** The transfer-service on an environment: process.env in main.ts, a test's own in tests. */
  static readonly withEnvironment = serviceRootModule(
    AppModule,
    {
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
          run: (db, now, bounds) => purgeExpiredIdempotencyKeys(db, { now, ...bounds }),
        },
        {
          name: 'stale_events',
          run: (db, now, bounds, windows) =>
            purgeStaleEvents(db, {
              olderThan: new Date(now.getTime() - windows.processedMessages),
              ...bounds,
            }),
        },
      ],
    },
    [TransfersModule],
  );
}
