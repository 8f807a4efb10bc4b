// Where the auditor looks when no flag says otherwise: the stack `npm start` and `docker compose up`
// run on this machine, found through the same variables they read (ONCEPAY_POSTGRES_PORT, ...).
import type { AuditDefaults } from '../cli-options';

const DATABASES = {
  transfer: 'oncepay_transfer',
  ledger: 'oncepay_ledger',
  notification: 'oncepay_notification',
} as const;

export function localStackDefaults(env: Record<string, string | undefined>): AuditDefaults {
  const host = env.ONCEPAY_POSTGRES_HOST ?? '127.0.0.1';
  const port = portOf(env, 'ONCEPAY_POSTGRES_PORT', 5432);
  const password = encodeURIComponent(env.ONCEPAY_POSTGRES_PASSWORD ?? 'oncepay-dev');
  const databaseUrl = (database: string): string =>
    `postgresql://postgres:${password}@${host}:${port}/${database}`;
  return {
    transferDatabaseUrl: databaseUrl(DATABASES.transfer),
    ledgerDatabaseUrl: databaseUrl(DATABASES.ledger),
    notificationDatabaseUrl: databaseUrl(DATABASES.notification),
    kafkaBrokers: [`127.0.0.1:${portOf(env, 'ONCEPAY_KAFKA_PORT', 9092)}`],
  };
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
