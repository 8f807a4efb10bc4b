// The webhooks area: clients register their own endpoints (REST), the dispatcher delivers the
// deliveries that recording an outcome created for them, and clients read each endpoint's history.
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { messagingLogger, PG_DATABASE } from '@oncepay/service-runtime';
import type { PgDatabase } from '@oncepay/sql';
import { lookup } from 'node:dns/promises';
import { readNotificationSettings } from '../config/config';
import { WebhookDispatcher } from './deliver-webhooks/webhook.dispatcher';
import { WebhookSender } from './deliver-webhooks/webhook-sender';
import { ListDeliveriesController } from './list-deliveries/list-deliveries.controller';
import { ListDeliveriesHandler } from './list-deliveries/list-deliveries.handler';
import { WebhookEndpointsController } from './manage-endpoints/webhook-endpoints.controller';
import { WebhookEndpointsHandler } from './manage-endpoints/webhook-endpoints.handler';

/** Every address a host name resolves to, as node's own connections would resolve it. */
async function resolveHost(hostname: string): Promise<string[]> {
  return (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);
}

@Module({
  controllers: [WebhookEndpointsController, ListDeliveriesController],
  providers: [
    {
      provide: WebhookEndpointsHandler,
      inject: [PG_DATABASE, ConfigService],
      useFactory: (db: PgDatabase, config: ConfigService) =>
        new WebhookEndpointsHandler(
          db,
          { allowLocalUrls: readNotificationSettings(config).endpoints.allowLocalUrls },
          resolveHost,
        ),
    },
    {
      provide: ListDeliveriesHandler,
      inject: [PG_DATABASE],
      useFactory: (db: PgDatabase) => new ListDeliveriesHandler(db),
    },
    {
      provide: WebhookDispatcher,
      inject: [PG_DATABASE, ConfigService],
      useFactory: (db: PgDatabase, config: ConfigService) => {
        const settings = readNotificationSettings(config);
        return new WebhookDispatcher({
          db,
          sender: new WebhookSender({
            allowLocalUrls: settings.endpoints.allowLocalUrls,
            timeoutMs: settings.endpoints.timeoutMs,
          }),
          maxAttempts: settings.maxAttempts,
          backoff: settings.backoff,
          intervalMs: settings.dispatchIntervalMs,
          batchSize: settings.dispatchBatchSize,
          sendTimeoutMs: settings.endpoints.timeoutMs,
          logger: messagingLogger(WebhookDispatcher.name),
        });
      },
    },
  ],
})
export class WebhooksModule {}
