import 'reflect-metadata';
import { bootstrapService } from '@oncepay/nest-common';
import { AppModule } from './app.module';

bootstrapService(AppModule, 'ledger-service').catch((error: unknown) => {
  console.error('ledger-service failed to start:', error);
  process.exit(1);
});
