// The webhook-endpoint API's request bodies and query, validated at the HTTP edge, and what it answers.
import { pageLimitSchema } from '@oncepay/http-edge';
import { z } from 'zod';
import { pageCursorSchema } from '../../notifications/list-notifications/list-notifications.query';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../notifications/domain/webhook-event-type';
import { MAX_WEBHOOK_URL_LENGTH } from '../domain/url-policy';

/** A rotation's default overlap: a day for receivers to deploy the new secret. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
/** At most a week: an old secret that signs for longer is no longer a rotation. */
export const MAX_OVERLAP_SECONDS = 604_800;

/** `events` omitted: every event type. Strict: a misspelt field is a 400, not silently ignored. */
export const registerEndpointSchema = z
  .object({
    url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH),
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .refine((events) => new Set(events).size === events.length, 'lists an event type twice')
      .optional(),
  })
  .strict();
export type RegisterEndpointRequest = z.infer<typeof registerEndpointSchema>;

export const rotateSecretSchema = z
  .object({ overlapSeconds: z.int().min(0).max(MAX_OVERLAP_SECONDS).optional() })
  .strict();
export type RotateSecretRequest = z.infer<typeof rotateSecretSchema>;

export const pageQuerySchema = z
  .object({
    limit: pageLimitSchema(100, 20),
    cursor: pageCursorSchema.optional(),
  })
  .strict();
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** An endpoint as the API shows it: never its secrets. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: string;
  disabledAt: string | null;
}

/** The answer to a registration: the secret, shown this once. */
export interface RegisteredWebhookEndpoint extends WebhookEndpointView {
  secret: string;
}

/** The answer to a rotation: the new secret, shown this once, and when the older ones stop signing. */
export interface RotatedWebhookSecret {
  endpoint: WebhookEndpointView;
  secret: string;
  previousSecretsExpireAt: string;
}

export interface WebhookEndpointPage {
  data: WebhookEndpointView[];
  nextCursor: string | null;
}
