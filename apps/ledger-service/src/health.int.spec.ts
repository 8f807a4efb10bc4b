// Proves the ledger-service boots on a real database and broker and reports both through GET /health.
import { describeHealthEndpoint } from '@oncepay/test-support';
import { AppModule } from './app.module';

describeHealthEndpoint('ledger', AppModule.withEnvironment);
