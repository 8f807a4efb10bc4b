// Proves the rules across a service's base variables: with NODE_ENV=production the published dev API
// keys are refused unless ALLOW_DEV_API_KEYS=true says otherwise; elsewhere they are the dev stack's.
// And Kafka's SASL and TLS settings come whole: a mechanism with its user and password, a CA with TLS.
// And the retention windows: hours with a 24 h floor on the dedup window, seconds only for a soak.
import { DEV_API_CLIENTS, DEV_API_KEYS } from '@oncepay/http-edge';
import { configurationProblems, parseConfiguration, serviceEnvSchema } from './env';
import { retentionWindows } from './retention-job';

const HOUR_MS = 3_600_000;

const schema = serviceEnvSchema({});
const env = { PORT: '3000', DATABASE_URL: 'postgresql://db/x', KAFKA_BROKERS: 'kafka:9092' };

describe('serviceEnvSchema', () => {
  it('accepts the published dev keys outside production', () => {
    expect(configurationProblems(schema, { ...env, API_KEYS: DEV_API_KEYS })).toEqual([]);
    expect(configurationProblems(schema, { ...env, API_KEYS: DEV_API_KEYS, NODE_ENV: 'test' })).toEqual([]);
  });

  it('refuses them with NODE_ENV=production, naming their clients', () => {
    const demoB = `demo-b:client:${DEV_API_CLIENTS.demoB.key},acme:client:a-real-key-of-acme-01`;
    expect(configurationProblems(schema, { ...env, API_KEYS: demoB, NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(
        /^ {2}API_KEYS: holds the published dev key of demo-b, refused with NODE_ENV=production/,
      ),
    ]);
  });

  it('lets them in with NODE_ENV=production only when ALLOW_DEV_API_KEYS=true', () => {
    const production = { ...env, API_KEYS: DEV_API_KEYS, NODE_ENV: 'production' };
    expect(configurationProblems(schema, { ...production, ALLOW_DEV_API_KEYS: 'true' })).toEqual([]);
    expect(configurationProblems(schema, { ...production, ALLOW_DEV_API_KEYS: 'false' })).toHaveLength(1);
    expect(configurationProblems(schema, { ...production, ALLOW_DEV_API_KEYS: 'yes' })).toEqual([
      expect.stringMatching(/^ {2}ALLOW_DEV_API_KEYS: /),
    ]);
  });

  it('accepts keys of its own in production', () => {
    const keys = 'ops:operator:a-real-key-of-ops-0001,acme:client:a-real-key-of-acme-01';
    expect(configurationProblems(schema, { ...env, API_KEYS: keys, NODE_ENV: 'production' })).toEqual([]);
  });
});

describe('Kafka authentication settings', () => {
  const base = { ...env, API_KEYS: 'acme:client:a-real-key-of-acme-01' };

  it('take a SASL mechanism with its user and password', () => {
    const sasl = {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'ledger-service',
      KAFKA_SASL_PASSWORD: 'pw',
    };
    expect(configurationProblems(schema, { ...base, ...sasl })).toEqual([]);
    expect(configurationProblems(schema, { ...base, KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      '  KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    ]);
    expect(configurationProblems(schema, { ...base, ...sasl, KAFKA_SASL_MECHANISM: 'gssapi' })).toEqual([
      expect.stringMatching(/^ {2}KAFKA_SASL_MECHANISM: /),
    ]);
  });

  it('refuse credentials without a mechanism, and plain without TLS in production', () => {
    expect(
      configurationProblems(schema, { ...base, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }),
    ).toEqual(['  KAFKA_SASL_MECHANISM: is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set']);
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(configurationProblems(schema, { ...base, ...plain, NODE_ENV: 'production' })).toEqual([
      '  KAFKA_SASL_MECHANISM: plain sends the password in clear: with NODE_ENV=production it needs KAFKA_TLS=true',
    ]);
    expect(
      configurationProblems(schema, { ...base, ...plain, NODE_ENV: 'production', KAFKA_TLS: 'true' }),
    ).toEqual([]);
  });

  it('take a CA file only with TLS on', () => {
    expect(
      configurationProblems(schema, { ...base, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/etc/ca.pem' }),
    ).toEqual([]);
    expect(configurationProblems(schema, { ...base, KAFKA_TLS_CA_FILE: '/etc/ca.pem' })).toEqual([
      '  KAFKA_TLS_CA_FILE: is used only with KAFKA_TLS=true',
    ]);
  });
});

describe('retention windows', () => {
  const keys = 'ops:operator:a-real-key-of-ops-0001';
  const configOf = (vars: Record<string, string>) => {
    const parsed = parseConfiguration(schema, { ...env, API_KEYS: keys, ...vars }) as Record<string, unknown>;
    return { get: (key: string) => parsed[key], getOrThrow: (key: string) => parsed[key] } as never;
  };

  it('are the hours variables, and the 24 h of the API contract for idempotency keys', () => {
    expect(retentionWindows(configOf({}))).toEqual({
      processedMessages: 720 * HOUR_MS,
      outboxSent: 168 * HOUR_MS,
      idempotencyKeys: 24 * HOUR_MS,
    });
  });

  it('keep the dedup window at 24 h at least unless SOAK_RETENTION_SECONDS says otherwise', () => {
    expect(
      configurationProblems(schema, { ...env, API_KEYS: keys, PROCESSED_MESSAGES_RETENTION_HOURS: '23' }),
    ).toEqual([expect.stringMatching(/^ {2}PROCESSED_MESSAGES_RETENTION_HOURS: /)]);
    expect(retentionWindows(configOf({ SOAK_RETENTION_SECONDS: '60' }))).toEqual({
      processedMessages: 60_000,
      outboxSent: 60_000,
      idempotencyKeys: 60_000,
    });
  });

  it('refuse SOAK_RETENTION_SECONDS with NODE_ENV=production', () => {
    expect(
      configurationProblems(schema, {
        ...env,
        API_KEYS: keys,
        NODE_ENV: 'production',
        SOAK_RETENTION_SECONDS: '60',
      }),
    ).toEqual([expect.stringMatching(/^ {2}SOAK_RETENTION_SECONDS: shortens the dedup window .*refused/)]);
    expect(configurationProblems(schema, { ...env, API_KEYS: keys, SOAK_RETENTION_SECONDS: '0' })).toEqual([
      expect.stringMatching(/^ {2}SOAK_RETENTION_SECONDS: /),
    ]);
  });
});

describe('Kafka replication settings', () => {
  const base = { ...env, API_KEYS: DEV_API_KEYS };

  it('leaves both unset by default (derived from the cluster at boot) and takes explicit values', () => {
    expect(configurationProblems(schema, base)).toEqual([]);
    const parsed = schema.parse({ ...base, KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    expect([parsed.KAFKA_REPLICATION_FACTOR, parsed.KAFKA_MIN_INSYNC_REPLICAS]).toEqual([3, 2]);
    expect(schema.parse(base).KAFKA_REPLICATION_FACTOR).toBeUndefined();
  });

  it('refuses min.insync.replicas above the replication factor, and values below 1', () => {
    expect(
      configurationProblems(schema, {
        ...base,
        KAFKA_REPLICATION_FACTOR: '2',
        KAFKA_MIN_INSYNC_REPLICAS: '3',
      }),
    ).toEqual([
      '  KAFKA_MIN_INSYNC_REPLICAS: 3 exceeds KAFKA_REPLICATION_FACTOR=2: no acks=all write could succeed',
    ]);
    expect(configurationProblems(schema, { ...base, KAFKA_REPLICATION_FACTOR: '0' })).toEqual([
      expect.stringMatching(/^ {2}KAFKA_REPLICATION_FACTOR: /),
    ]);
  });
});
