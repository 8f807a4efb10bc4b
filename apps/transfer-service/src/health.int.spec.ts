// Proves the transfer-service boots on a real database and broker and reports both through GET /health.
import { describeHealthEndpoint } from '@oncepay/test-support';

describeHealthEndpoint('transfer', async () => (await import('./app.module.js')).AppModule);
