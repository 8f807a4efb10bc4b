// Builds the configured channel for the NOTIFICATION_CHANNEL token; the rest of the service sees only the port.
import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { readNotificationSettings } from '../../config/config';
import { NOTIFICATION_CHANNEL, type NotificationChannel } from '../domain/notification-channel.port';
import { LogChannel } from './log.channel';
import { WebhookChannel } from './webhook.channel';

export const notificationChannelProvider: Provider = {
  provide: NOTIFICATION_CHANNEL,
  inject: [ConfigService],
  useFactory: (config: ConfigService): NotificationChannel => {
    const { channel } = readNotificationSettings(config);
    switch (channel.kind) {
      case 'log':
        return new LogChannel();
      case 'webhook':
        return new WebhookChannel({ url: channel.url, secret: channel.secret, timeoutMs: channel.timeoutMs });
      default: {
        const unreachable: never = channel;
        return unreachable;
      }
    }
  },
};
