import 'reflect-metadata';
import { bootstrapService } from '@oncepay/nest-common';
import { AppModule } from './app.module';

bootstrapService(AppModule, 'transfer-service').catch((error: unknown) => {
  console.error('transfer-service failed to start:', error);
  process.exit(1);
});
