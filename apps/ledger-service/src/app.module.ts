import { Module, type DynamicModule } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { ServiceCoreModule } from '@oncepay/nest-common';
import { AccountsModule } from './accounts/accounts.module';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';
import { buildOpenApiDocument } from './openapi';
import { PostingsModule } from './postings/postings.module';

@Module({})
export class AppModule {
  /**
   * The ledger-service on this environment: process.env in production (main.ts), a test's own in tests,
   * validated against envSchema before anything starts.
   */
  static withEnvironment(this: void, env: Record<string, unknown>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceCoreModule.forRoot({
          serviceName: 'ledger-service',
          envSchema,
          env,
          createPrisma: (adapter) => new PrismaClient({ adapter }),
          openApi: buildOpenApiDocument,
          messaging: { topics: [TOPICS.transferRequests, TOPICS.ledgerResults], outbox: true },
        }),
        AccountsModule,
        PostingsModule,
      ],
    };
  }
}
