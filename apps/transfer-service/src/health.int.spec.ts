// Proves the transfer-service boots on a real database and broker and reports both through GET /health.
import { describeHealthEndpoint } from '@oncepay/test-support';
import { AppModule } from './app.module';

describeHealthEndpoint('transfer', AppModule.withEnvironment);
