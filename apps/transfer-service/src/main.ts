import 'reflect-metadata';
import { runService } from '@oncepay/nest-common';
import { AppModule } from './app.module';
import { envSchema } from './config/config';

runService('transfer-service', envSchema, process.env, AppModule.withEnvironment);
