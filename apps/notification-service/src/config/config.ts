// The notification-service's environment, validated at boot: the only place that knows variable names.
import type { ConfigService } from '@nestjs/config';
import { baseEnvSchema, serviceEnvSchema } from '@oncepay/service-runtime';
import { z } from 'zod';

/** Bounds on the tunables, so a typo (an extra zero) cannot turn the dispatcher into a busy loop or a sleeper. */
const MAX_DISPATCH_INTERVAL_MS = 60_000;
const MAX_ATTEMPTS_LIMIT = 50;

export const envSchema = serviceEnvSchema({
  PORT: baseEnvSchema.shape.PORT.default(3002),
  /** Where notifications go: `log` writes one JSON line per notification, `webhook` POSTs it. */
  NOTIFICATION_CHANNEL: z.enum(['log', 'webhook']).default('log'),
  /**
   * No user name or password in it: fetch refuses to send such a URL, and a URL is written into logs
   * and recorded errors where a password must never be. A receiver authenticates each delivery by its
   * OncePay-Signature instead.
   */
  WEBHOOK_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' })
    .refine((url) => {
      // zod runs this on a value its URL check refused too: that one is reported there, not thrown here.
      if (!URL.canParse(url)) return true;
      const { username, password } = new URL(url);
      return username === '' && password === '';
    }, 'must not carry a user name or password (the receiver checks the OncePay-Signature instead)')
    .optional(),
  /** HMAC-SHA256 key for the OncePay-Signature header; receivers hold the same secret. */
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Per request: a receiver that hangs must not hold a dispatcher (or its claim) forever. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
  /**
   * Attempts per notification before it is GAVE_UP. With the backoff below the defaults keep trying
   * for about 9 to 18 hours (the delays' jitter): a receiver down for a night's deploy or an outage
   * still gets its events, as webhook senders of the field do (Svix about a day, Stripe three days).
   */
  NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).default(16),
  /** Capped exponential backoff between attempts (with jitter): first retry after ~initial, never more than max. */
  NOTIFICATION_BACKOFF_INITIAL_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  NOTIFICATION_BACKOFF_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(14_400_000),
  /** How often an idle dispatcher looks for due notifications. */
  DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).max(MAX_DISPATCH_INTERVAL_MS).default(500),
  /** Notifications claimed per dispatch pass; delivered concurrently, so this also bounds parallel requests. */
  DISPATCH_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(20),
  /**
   * Clients' webhook endpoints may be http:// and reach loopback, private, link-local and unique-local
   * addresses: for tests and a local stack only, refused with NODE_ENV=production. Otherwise an endpoint
   * must be https:// and every address its host resolves to public, at registration and at each delivery.
   */
  WEBHOOK_ALLOW_LOCAL_URLS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
}).superRefine((env, ctx) => {
  if (env.NOTIFICATION_CHANNEL === 'webhook') {
    if (!env.WEBHOOK_URL)
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_URL'],
        message: 'is required when NOTIFICATION_CHANNEL=webhook',
      });
    if (!env.WEBHOOK_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SECRET'],
        message: 'is required when NOTIFICATION_CHANNEL=webhook',
      });
  }
  if (env.NODE_ENV === 'production' && env.WEBHOOK_ALLOW_LOCAL_URLS) {
    ctx.addIssue({
      code: 'custom',
      path: ['WEBHOOK_ALLOW_LOCAL_URLS'],
      message: 'lets webhooks reach internal addresses, refused with NODE_ENV=production',
    });
  }
  if (env.NOTIFICATION_BACKOFF_MAX_MS < env.NOTIFICATION_BACKOFF_INITIAL_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['NOTIFICATION_BACKOFF_MAX_MS'],
      message: 'must be at least NOTIFICATION_BACKOFF_INITIAL_MS',
    });
  }
});

export type NotificationEnv = z.infer<typeof envSchema>;

/** The channel configuration as one value, so a `webhook` channel can only exist with its URL and secret. */
export type ChannelSettings =
  { kind: 'log' } | { kind: 'webhook'; url: string; secret: string; timeoutMs: number };

export interface NotificationSettings {
  channel: ChannelSettings;
  maxAttempts: number;
  backoff: { initialMs: number; maxMs: number };
  dispatchIntervalMs: number;
  dispatchBatchSize: number;
  /** Clients' webhook endpoints: which URLs they may have, and the per-request timeout. */
  endpoints: { allowLocalUrls: boolean; timeoutMs: number };
}

/** Reads the validated environment (ConfigModule already refused to boot on bad values). */
export function readNotificationSettings(config: ConfigService): NotificationSettings {
  // ConfigService holds what envSchema returned at boot, so each value has the schema's output type.
  const get = <K extends keyof NotificationEnv>(key: K): NotificationEnv[K] =>
    config.getOrThrow<NotificationEnv[K]>(key);
  return {
    channel: channelSettings(config),
    maxAttempts: get('NOTIFICATION_MAX_ATTEMPTS'),
    backoff: { initialMs: get('NOTIFICATION_BACKOFF_INITIAL_MS'), maxMs: get('NOTIFICATION_BACKOFF_MAX_MS') },
    dispatchIntervalMs: get('DISPATCH_INTERVAL_MS'),
    dispatchBatchSize: get('DISPATCH_BATCH_SIZE'),
    endpoints: { allowLocalUrls: get('WEBHOOK_ALLOW_LOCAL_URLS'), timeoutMs: get('WEBHOOK_TIMEOUT_MS') },
  };
}

function channelSettings(config: ConfigService): ChannelSettings {
  if (config.getOrThrow<NotificationEnv['NOTIFICATION_CHANNEL']>('NOTIFICATION_CHANNEL') === 'log') {
    return { kind: 'log' };
  }
  // envSchema refuses `webhook` without both, so getOrThrow only throws if that rule was removed.
  return {
    kind: 'webhook',
    url: config.getOrThrow<string>('WEBHOOK_URL'),
    secret: config.getOrThrow<string>('WEBHOOK_SECRET'),
    timeoutMs: config.getOrThrow<number>('WEBHOOK_TIMEOUT_MS'),
  };
}
