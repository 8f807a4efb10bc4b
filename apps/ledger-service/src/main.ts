import 'reflect-metadata';
import { runService } from '@oncepay/nest-common';
import { envSchema } from './config/config';

// The root module is loaded only after the environment passed its schema (see runService).
runService('ledger-service', envSchema, process.env, async () => (await import('./app.module.js')).AppModule);
