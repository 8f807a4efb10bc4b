// Proves the service refuses to boot on an incomplete webhook configuration and takes the documented defaults.
import { envSchema } from './config';

const base = {
  DATABASE_URL: 'postgresql://localhost/oncepay_notification',
  KAFKA_BROKERS: '127.0.0.1:9092',
  API_KEYS: 'demo-a:client:oncepay-dev-key-a',
};

function issuesOf(env: Record<string, string>): string[] {
  const result = envSchema.safeParse(env);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('notification-service envSchema', () => {
  it('defaults to the log channel, 16 attempts 5 s to 4 h apart and a 500 ms dispatch interval', () => {
    expect(envSchema.parse(base)).toMatchObject({
      PORT: 3002,
      NOTIFICATION_CHANNEL: 'log',
      NOTIFICATION_MAX_ATTEMPTS: 16,
      NOTIFICATION_BACKOFF_INITIAL_MS: 5_000,
      NOTIFICATION_BACKOFF_MAX_MS: 14_400_000,
      DISPATCH_INTERVAL_MS: 500,
    });
  });

  it('requires a URL and a secret of 16+ characters for the webhook channel', () => {
    expect(issuesOf({ ...base, NOTIFICATION_CHANNEL: 'webhook' })).toEqual(['WEBHOOK_URL', 'WEBHOOK_SECRET']);
    expect(
      issuesOf({
        ...base,
        NOTIFICATION_CHANNEL: 'webhook',
        WEBHOOK_URL: 'https://example.test/hook',
        WEBHOOK_SECRET: 'short',
      }),
    ).toEqual(['WEBHOOK_SECRET']);
    expect(
      issuesOf({
        ...base,
        NOTIFICATION_CHANNEL: 'webhook',
        WEBHOOK_URL: 'ftp://example.test',
        WEBHOOK_SECRET: 'x'.repeat(16),
      }),
    ).toEqual(['WEBHOOK_URL']);
    // Not a URL at all: reported, not thrown.
    expect(
      issuesOf({
        ...base,
        NOTIFICATION_CHANNEL: 'webhook',
        WEBHOOK_URL: 'example.com/hook',
        WEBHOOK_SECRET: 'x'.repeat(16),
      }),
    ).toEqual(['WEBHOOK_URL']);
    // fetch refuses such a URL, and a URL ends up in logs and recorded errors.
    for (const url of ['https://user:secret@example.test/hook', 'https://user@example.test/hook'])
      expect(
        issuesOf({
          ...base,
          NOTIFICATION_CHANNEL: 'webhook',
          WEBHOOK_URL: url,
          WEBHOOK_SECRET: 'x'.repeat(16),
        }),
      ).toEqual(['WEBHOOK_URL']);
    expect(
      issuesOf({
        ...base,
        NOTIFICATION_CHANNEL: 'webhook',
        WEBHOOK_URL: 'https://example.test/hook',
        WEBHOOK_SECRET: 'x'.repeat(16),
      }),
    ).toEqual([]);
  });

  it('bounds the dispatcher tunables', () => {
    expect(issuesOf({ ...base, DISPATCH_INTERVAL_MS: '0' })).toEqual(['DISPATCH_INTERVAL_MS']);
    expect(issuesOf({ ...base, DISPATCH_INTERVAL_MS: '600000' })).toEqual(['DISPATCH_INTERVAL_MS']);
    expect(issuesOf({ ...base, NOTIFICATION_MAX_ATTEMPTS: '0' })).toEqual(['NOTIFICATION_MAX_ATTEMPTS']);
    expect(issuesOf({ ...base, NOTIFICATION_CHANNEL: 'sms' })).toEqual(['NOTIFICATION_CHANNEL']);
  });

  it('keeps webhook endpoints public and https unless local URLs are allowed, never in production', () => {
    expect(envSchema.parse(base)).toMatchObject({ WEBHOOK_ALLOW_LOCAL_URLS: false });
    expect(envSchema.parse({ ...base, WEBHOOK_ALLOW_LOCAL_URLS: 'true' })).toMatchObject({
      WEBHOOK_ALLOW_LOCAL_URLS: true,
    });
    expect(issuesOf({ ...base, WEBHOOK_ALLOW_LOCAL_URLS: 'yes' })).toEqual(['WEBHOOK_ALLOW_LOCAL_URLS']);
    const production = { ...base, API_KEYS: 'real:client:sha256-not-a-dev-key', NODE_ENV: 'production' };
    expect(issuesOf({ ...production, WEBHOOK_ALLOW_LOCAL_URLS: 'true' })).toContain(
      'WEBHOOK_ALLOW_LOCAL_URLS',
    );
    expect(issuesOf({ ...production, WEBHOOK_ALLOW_LOCAL_URLS: 'false' })).not.toContain(
      'WEBHOOK_ALLOW_LOCAL_URLS',
    );
  });
});
