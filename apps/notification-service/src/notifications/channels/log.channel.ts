// The default channel: one structured JSON line per notification on stdout, for log shippers to pick
// up. It writes to the stream directly, not through the service logger, so LOG_LEVEL cannot silently
// swallow notifications that the database then reports DELIVERED.
import type { Notification } from '../domain/notification';
import type { DeliveryResult, NotificationChannel } from '../domain/notification-channel.port';

export class LogChannel implements NotificationChannel {
  readonly name = 'log';

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line)) {}

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const line = {
      level: 'info',
      message: 'notification',
      notificationId: notification.id,
      attemptNumber: notification.attemptNumber,
      clientId: notification.clientId,
      notification: notification.body,
    };
    this.write(`${JSON.stringify(line)}\n`);
    return { outcome: 'delivered' };
  }
}
