// Proves the ledger-service boots on a real database and broker and reports both through GET /health.
import { describeHealthEndpoint } from '@oncepay/test-support';

describeHealthEndpoint('ledger', async () => (await import('./app.module.js')).AppModule);
