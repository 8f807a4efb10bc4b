// Delivers a notification as a signed JSON POST to the configured URL.
// - Bounded: every request is aborted after `timeoutMs` (AbortSignal.timeout).
// - Authenticated: OncePay-Signature is an HMAC over the timestamp and the exact body bytes.
// - Idempotent for the receiver: `Idempotency-Key` is the notification id, the same on every attempt,
//   because delivery is at-least-once (a timeout says nothing about whether the receiver acted).
// - Classified: 2xx delivered; any other answer, or none, a retriable failure. A receiver mid-deploy
//   answers 404, 401 or 502 alike, and one that fixes a bug wants the events it refused; the sender
//   cannot tell a passing 4xx from a lasting one, so it retries every failure within the attempts'
//   budget, as Stripe and Svix do. Redirects are not followed (a signed POST must not wander to
//   another host): a 3xx is a failure too.
import type { Notification } from '../domain/notification';
import type { DeliveryResult, NotificationChannel } from '../domain/notification-channel.port';
import { webhookEventTypeOf, type WebhookEventType } from '../domain/webhook-event-type';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';

export interface WebhookChannelOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** Clock for the signature timestamp; tests fix it. */
  now?: () => Date;
}

/** The JSON a receiver gets: the notification id and type, and the body under `data`. */
export interface WebhookPayload {
  id: string;
  type: WebhookEventType;
  data: Notification['body'];
}

export class WebhookChannel implements NotificationChannel {
  readonly name = 'webhook';
  private readonly now: () => Date;

  constructor(private readonly options: WebhookChannelOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const body = JSON.stringify(webhookPayloadOf(notification));
    const timestampSeconds = Math.floor(this.now().getTime() / 1000);
    let status: number;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'OncePay-Notifications/1',
          'idempotency-key': notification.id,
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestampSeconds, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.status;
      // The receiver's body means nothing to us; discard it without reading it into memory.
      await response.body?.cancel().catch(() => undefined);
    } catch (error) {
      return { outcome: 'failed', retriable: true, error: describeFetchError(error, this.options.timeoutMs) };
    }
    return classifyHttpStatus(status);
  }
}

export function webhookPayloadOf(notification: Pick<Notification, 'id' | 'body'>): WebhookPayload {
  return {
    id: notification.id,
    type: webhookEventTypeOf(notification.body),
    data: notification.body,
  };
}

export function classifyHttpStatus(status: number): DeliveryResult {
  if (status >= 200 && status < 300) return { outcome: 'delivered', responseStatus: status };
  return {
    outcome: 'failed',
    retriable: true,
    error: `receiver answered HTTP ${status}`,
    responseStatus: status,
  };
}

/**
 * fetch hides the cause (ECONNREFUSED, ...) one level down; surface it in the recorded error. Checked by
 * shape, not `instanceof`: fetch's errors may come from another realm (a DOMException, a VM context).
 */
function describeFetchError(error: unknown, timeoutMs: number): string {
  const { name, cause } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    cause?: unknown;
  };
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const causeCode = (typeof cause === 'object' && cause !== null ? cause : {}) as { code?: unknown };
  const detail =
    typeof causeCode.code === 'string' ? causeCode.code : cause === undefined ? null : String(cause);
  return detail === null ? String(error) : `${String(error)} (${detail})`;
}
