import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { serviceRootModule } from '@oncepay/service-runtime';
import { AccountsModule } from './accounts/accounts.module';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { PostingsModule } from './postings/postings.module';

@Module({})
export class AppModule {
  /** The ledger-service on an environment: process.env in main.ts, a test's own in tests. */
  static readonly withEnvironment = serviceRootModule(
    AppModule,
    {
      serviceName: 'ledger-service',
      envSchema,
      createPrisma: (adapter) => new PrismaClient({ adapter }),
      openApi: buildOpenApiDocument,
      messaging: { topics: [TOPICS.transferRequests, TOPICS.ledgerResults], outbox: true },
    },
    [AccountsModule, PostingsModule],
  );
}
