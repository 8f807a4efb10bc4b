// Where the auditor looks when no flag says otherwise: the stack `npm start` and `docker compose up`
// run on this machine, found through the same variables they read (ONCEPAY_POSTGRES_PORT, ...).
import { kafkaSecurityEnvShape, kafkaSecurityOf, kafkaSecurityRules } from '@oncepay/messaging';
import { z } from 'zod';
import type { AuditDefaults } from '../cli-options';

/** The role scripts/infra/services.ts names for the auditor (test/audit.spec.ts keeps the two equal). */
const AUDITOR_ROLE = 'oncepay_auditor';

const DATABASES = {
  transfer: 'oncepay_transfer',
  ledger: 'oncepay_ledger',
  notification: 'oncepay_notification',
} as const;

export function localStackDefaults(env: Record<string, string | undefined>): AuditDefaults {
  const host = env.ONCEPAY_POSTGRES_HOST ?? '127.0.0.1';
  const port = portOf(env, 'ONCEPAY_POSTGRES_PORT', 5432);
  // The read-only role the stack's migration step provisions for the auditor (scripts/db/roles.ts).
  const password = encodeURIComponent(env.ONCEPAY_ROLE_PASSWORD ?? 'oncepay-dev-role');
  const databaseUrl = (database: string): string =>
    `postgresql://${AUDITOR_ROLE}:${password}@${host}:${port}/${database}`;
  return {
    transferDatabaseUrl: databaseUrl(DATABASES.transfer),
    ledgerDatabaseUrl: databaseUrl(DATABASES.ledger),
    notificationDatabaseUrl: databaseUrl(DATABASES.notification),
    kafkaBrokers: [`127.0.0.1:${portOf(env, 'ONCEPAY_KAFKA_PORT', 9092)}`],
    kafkaSecurity: kafkaSecurityFromEnv(env),
  };
}

/**
 * TLS and SASL to the brokers from the variables the services read (KAFKA_TLS, KAFKA_SASL_MECHANISM, ...),
 * with their rules: a cluster whose ACLs let only known principals in admits the auditor the same way.
 */
function kafkaSecurityFromEnv(env: Record<string, string | undefined>): AuditDefaults['kafkaSecurity'] {
  const parsed = z
    .object(kafkaSecurityEnvShape)
    .superRefine((values, ctx) => kafkaSecurityRules(values, ctx, env.NODE_ENV))
    .safeParse(env);
  if (!parsed.success)
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  return kafkaSecurityOf(parsed.data);
}

function portOf(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

/** The process environment, read here only (see the lint rule on process.env). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
