import 'reflect-metadata';
import { runService } from '@oncepay/service-runtime';
import { AppModule } from './app.module';
import { envSchema } from './config/config';

runService('notification-service', envSchema, process.env, AppModule.withEnvironment);
