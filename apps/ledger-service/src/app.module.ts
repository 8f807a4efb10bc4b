import { Module } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { ServiceCoreModule } from '@oncepay/nest-common';
import { AccountsModule } from './accounts/accounts.module';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { PostingsModule } from './postings/postings.module';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      serviceName: 'ledger-service',
      envSchema,
      createPrisma: (adapter) => new PrismaClient({ adapter }),
      openApi: buildOpenApiDocument,
      messaging: { topics: [TOPICS.transferRequests, TOPICS.ledgerResults], outbox: true },
    }),
    AccountsModule,
    PostingsModule,
  ],
})
export class AppModule {}
