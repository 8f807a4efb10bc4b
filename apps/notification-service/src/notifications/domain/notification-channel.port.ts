// The port through which notifications leave the service. The domain owns this interface; channels
// (log, webhook, ...) implement it, and the dispatcher knows nothing else about them.
import type { Notification } from './notification';

/**
 * What one delivery attempt achieved. An expected failure (the receiver said 503, the network dropped)
 * is a returned value, never an exception: the dispatcher decides from `retriable` whether to try again.
 */
export type DeliveryResult =
  | { outcome: 'delivered'; responseStatus?: number }
  | {
      outcome: 'failed';
      /**
       * True when a later attempt may succeed: every answer but a 2xx, a timeout, a network error.
       * False only when OncePay itself refuses to send (a client endpoint's URL no longer allowed).
       */
      retriable: boolean;
      error: string;
      responseStatus?: number;
    };

export interface NotificationChannel {
  /** Recorded on every delivery attempt, e.g. `log` or `webhook`. */
  readonly name: string;
  /**
   * Delivers one notification once. Must settle within a bounded time (the dispatcher also enforces a
   * deadline) and must send `notification.id` so a receiver can drop a redelivery: delivery is
   * at-least-once, because a crash after the send and before the result is recorded sends it again.
   */
  deliver(notification: Notification): Promise<DeliveryResult>;
}

/** Dependency-injection token for the configured channel. */
export const NOTIFICATION_CHANNEL = Symbol('NOTIFICATION_CHANNEL');
