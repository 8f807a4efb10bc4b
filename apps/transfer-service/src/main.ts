import 'reflect-metadata';
// First: tracing instruments the HTTP server, so it must load before it.
import './tracing';
import { runService } from '@oncepay/service-runtime';
import { AppModule } from './app.module';
import { envSchema } from './config/config';

runService('transfer-service', envSchema, process.env, AppModule.withEnvironment);
