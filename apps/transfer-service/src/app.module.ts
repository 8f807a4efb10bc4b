import { Module } from '@nestjs/common';
import { ServiceCoreModule } from '@oncepay/nest-common';
import { envSchema } from './config/config';
import { PrismaClient } from './generated/prisma/client';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      serviceName: 'transfer-service',
      envSchema,
      createPrisma: (adapter) => new PrismaClient({ adapter }),
    }),
  ],
})
export class AppModule {}
