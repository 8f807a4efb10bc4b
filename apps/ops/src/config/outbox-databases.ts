// Where `npm run outbox` connects: TRANSFER_DATABASE_URL and LEDGER_DATABASE_URL when set, else the
// local stack's database of the service (`npm start`, docker compose), as its outbox operator role,
// which reads outbox_messages and may set a parked row's status, and nothing else (scripts/db/roles.ts).
// The only place the command reads the environment.
import type { OutboxService } from '../outbox/cli-options';

const DATABASES: Record<OutboxService, string> = {
  transfer: 'oncepay_transfer',
  ledger: 'oncepay_ledger',
};

/** The role scripts/infra/services.ts names (outboxOperatorRoleOf; a test keeps the two equal). */
export function outboxOperatorRoleOf(service: OutboxService): string {
  return `oncepay_${service}_outbox_operator`;
}

export function outboxDatabaseUrls(env: Record<string, string | undefined>): Record<OutboxService, string> {
  const host = env.ONCEPAY_POSTGRES_HOST ?? '127.0.0.1';
  const port = portOf(env.ONCEPAY_POSTGRES_PORT);
  const password = encodeURIComponent(env.ONCEPAY_ROLE_PASSWORD ?? 'oncepay-dev-role');
  const local = (service: OutboxService) =>
    `postgresql://${outboxOperatorRoleOf(service)}:${password}@${host}:${port}/${DATABASES[service]}`;
  return {
    transfer: nonEmpty(env.TRANSFER_DATABASE_URL) ?? local('transfer'),
    ledger: nonEmpty(env.LEDGER_DATABASE_URL) ?? local('ledger'),
  };
}

function portOf(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 5432;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`ONCEPAY_POSTGRES_PORT must be a port number, got "${raw}"`);
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The process environment, read here only (see the lint rule on process.env). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
