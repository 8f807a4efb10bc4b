// Ports and credentials of the local stack (the dev stack and the test run share them, so a test
// run reuses a stack that is already up). The only place the scripts read the environment.
import { DEV_API_CLIENTS, DEV_API_KEYS } from '@oncepay/http-edge';
import { REPO_ROOT } from './paths';
import { CONSOLE, SERVICES, serviceRoleOf, type ServiceSpec } from './services';

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

/** The roles' password on a dev stack, `npm start`'s and compose's alike (docker-compose.yml spells it out). */
export const DEV_ROLE_PASSWORD = 'oncepay-dev-role';

export const stackConfig = {
  postgres: {
    // Another host only for the compose stack's one-shot steps, which reach PostgreSQL as `postgres`.
    host: process.env.ONCEPAY_POSTGRES_HOST ?? '127.0.0.1',
    port: portFromEnv('ONCEPAY_POSTGRES_PORT', 5432),
    user: 'postgres',
    password: process.env.ONCEPAY_POSTGRES_PASSWORD ?? 'oncepay-dev',
    /**
     * The password the migration step gives the login roles it provisions (each service's role, the
     * auditor, the outbox operators; scripts/db/roles.ts; the owners cannot log in). One for all: a dev
     * stack's. Elsewhere, provision the roles with passwords of their own.
     */
    rolePassword: process.env.ONCEPAY_ROLE_PASSWORD ?? DEV_ROLE_PASSWORD,
  },
  kafka: {
    port: portFromEnv('ONCEPAY_KAFKA_PORT', 9092),
    controllerPort: portFromEnv('ONCEPAY_KAFKA_CONTROLLER_PORT', 9093),
  },
  /** The dev stack's API clients (the operator `ops`, demo-a, demo-b); replace through the environment anywhere else. */
  apiKeys: process.env.ONCEPAY_API_KEYS ?? DEV_API_KEYS,
  /** Whether the services hold the published dev keys, which the demo data is seeded with. */
  devApiKeys: process.env.ONCEPAY_API_KEYS === undefined,
  servicePort(service: ServiceSpec): number {
    return portFromEnv(`ONCEPAY_${service.name.toUpperCase()}_PORT`, service.defaultPort);
  },
  /** Where a service answers HTTP: `ONCEPAY_<NAME>_URL` (the compose seed step), else 127.0.0.1 and its port. */
  serviceUrl(service: ServiceSpec): string {
    return (
      process.env[`ONCEPAY_${service.name.toUpperCase()}_URL`] ??
      `http://127.0.0.1:${stackConfig.servicePort(service)}`
    );
  },
  services: SERVICES,
  consolePort: portFromEnv('ONCEPAY_CONSOLE_PORT', CONSOLE.defaultPort),
  /** The operator key the console asks the services for their trails with (the dev stack's `ops` by default). */
  consoleApiKey: process.env.ONCEPAY_CONSOLE_API_KEY ?? DEV_API_CLIENTS.ops.key,
};

/** `database` on the stack's PostgreSQL, as its superuser unless another role is given. */
export function postgresUrl(
  database: string,
  user = stackConfig.postgres.user,
  password = stackConfig.postgres.password,
): string {
  const { host, port } = stackConfig.postgres;
  return `postgresql://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
}

/** What a service connects as: its own role, on `database` (its stack database unless given). */
export function serviceDatabaseUrl(service: ServiceSpec, database = service.database): string {
  return postgresUrl(database, serviceRoleOf(service.name), stackConfig.postgres.rolePassword);
}

export function kafkaBrokers(): string {
  return `127.0.0.1:${stackConfig.kafka.port}`;
}

/**
 * The environment a local stack starts a service with: its port and database, the broker, the API keys,
 * and `overrides` on top (the benchmark lifts the rate limit of the stack it starts).
 */
export function stackServiceEnv(
  service: ServiceSpec,
  logLevel: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: String(stackConfig.servicePort(service)),
    DATABASE_URL: serviceDatabaseUrl(service),
    KAFKA_BROKERS: kafkaBrokers(),
    API_KEYS: stackConfig.apiKeys,
    LOG_LEVEL: logLevel,
    // Tracing, when the shell asks for it (OTEL_EXPORTER_OTLP_ENDPOINT=... npm start): passed through.
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[0].startsWith('OTEL_') && entry[1] !== undefined,
      ),
    ),
    // Clients' webhook endpoints on this machine (WEBHOOK_ALLOW_LOCAL_URLS=true npm start): passed through.
    ...(service.name === 'notification' && process.env.WEBHOOK_ALLOW_LOCAL_URLS !== undefined
      ? { WEBHOOK_ALLOW_LOCAL_URLS: process.env.WEBHOOK_ALLOW_LOCAL_URLS }
      : {}),
    ...overrides,
  };
}

/**
 * The environment a local stack starts the console with: the services' URLs, the operator's key, the
 * broker, and what the lab it may start (`npm run lab`, a child of the console) needs to find this
 * stack's PostgreSQL and Kafka: the repository and the shell's ONCEPAY_* variables (ports, passwords).
 */
export function stackConsoleEnv(logLevel: string): Record<string, string> {
  const [transfer, ledger, notification] = SERVICES.map((service) => stackConfig.serviceUrl(service));
  return {
    ...labPassthroughEnv(),
    PORT: String(stackConfig.consolePort),
    TRANSFER_SERVICE_URL: transfer ?? '',
    LEDGER_SERVICE_URL: ledger ?? '',
    NOTIFICATION_SERVICE_URL: notification ?? '',
    CONSOLE_API_KEY: stackConfig.consoleApiKey,
    KAFKA_BROKERS: kafkaBrokers(),
    LOG_LEVEL: logLevel,
    CONSOLE_LAB_ROOT: REPO_ROOT,
  };
}

/**
 * What a console passes on to the lab it starts so that `npm run lab` finds the same PostgreSQL and
 * Kafka as the shell that started it: the shell's ONCEPAY_* variables (ports, passwords) and HOME.
 */
export function labPassthroughEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        (entry[0].startsWith('ONCEPAY_') || entry[0] === 'HOME') && entry[1] !== undefined,
    ),
  );
}
