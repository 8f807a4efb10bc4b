import 'reflect-metadata';
import { bootstrapService } from '@oncepay/nest-common';
import { AppModule } from './app.module';

bootstrapService(AppModule, 'notification-service').catch((error: unknown) => {
  console.error('notification-service failed to start:', error);
  process.exit(1);
});
