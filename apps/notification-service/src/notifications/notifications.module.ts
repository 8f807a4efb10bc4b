// The notifications area: record one notification per final transfer outcome (Kafka consumer), deliver
// it through the configured channel (dispatcher), let clients read theirs (REST) and operators read a
// transfer's trail.
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { messagingLogger, PG_DATABASE } from '@oncepay/service-runtime';
import type { PgDatabase } from '@oncepay/sql';
import { readNotificationSettings, type ChannelSettings } from '../config/config';
import { notificationChannelProvider } from './channels/notification-channel.provider';
import { NotificationDispatcher } from './deliver-notifications/notification.dispatcher';
import { NOTIFICATION_CHANNEL, type NotificationChannel } from './domain/notification-channel.port';
import { ListNotificationsController } from './list-notifications/list-notifications.controller';
import { ListNotificationsHandler } from './list-notifications/list-notifications.handler';
import { RecordOutcomeHandler } from './record-outcome/record-outcome.handler';
import { TransferOutcomeConsumer } from './record-outcome/transfer-outcome.consumer';
import { NotificationTrailController } from './trail/notification-trail.controller';

/** A channel that answers at all answers well within this; the log channel never comes close. */
const LOG_DELIVERY_TIMEOUT_MS = 5_000;

/** The dispatcher's deadline sits just past the webhook's own timeout, so the channel reports it first. */
function deliveryTimeoutMsOf(channel: ChannelSettings): number {
  return channel.kind === 'webhook' ? channel.timeoutMs + 1_000 : LOG_DELIVERY_TIMEOUT_MS;
}

@Module({
  controllers: [ListNotificationsController, NotificationTrailController],
  providers: [
    RecordOutcomeHandler,
    TransferOutcomeConsumer,
    ListNotificationsHandler,
    notificationChannelProvider,
    {
      provide: NotificationDispatcher,
      inject: [PG_DATABASE, NOTIFICATION_CHANNEL, ConfigService],
      useFactory: (db: PgDatabase, channel: NotificationChannel, config: ConfigService) => {
        const settings = readNotificationSettings(config);
        return new NotificationDispatcher({
          db,
          channel,
          maxAttempts: settings.maxAttempts,
          backoff: settings.backoff,
          intervalMs: settings.dispatchIntervalMs,
          batchSize: settings.dispatchBatchSize,
          deliveryTimeoutMs: deliveryTimeoutMsOf(settings.channel),
          logger: messagingLogger(NotificationDispatcher.name),
        });
      },
    },
  ],
})
export class NotificationsModule {}
