// The three services of the dev stack and the databases they own: one list, used by the stack
// starter, the migration scripts and the tests.
export interface ServiceSpec {
  /** Short name, also the folder under prisma/. */
  name: 'transfer' | 'ledger' | 'notification';
  /** The npm workspace that runs it. */
  workspace: string;
  database: string;
  defaultPort: number;
}

/** Owns a service's database, its schema and every object in it; runs the migrations (scripts/db/roles.ts). */
export function ownerRoleOf(service: ServiceSpec['name']): string {
  return `oncepay_${service}_owner`;
}

/** What a service connects as (its DATABASE_URL): the privileges scripts/db/roles.ts grants, no more. */
export function serviceRoleOf(service: ServiceSpec['name']): string {
  return `oncepay_${service}_service`;
}

/**
 * `npm run outbox`'s role on the databases with an outbox (transfer, ledger): reads the outbox and may set
 * a parked row's status and its operator fields, nothing else (scripts/db/roles.ts). apps/ops names it
 * too (a test keeps them equal).
 */
export function outboxOperatorRoleOf(service: ServiceSpec['name']): string {
  return `oncepay_${service}_outbox_operator`;
}

/** `npm run audit`'s role: reads the three databases, writes nothing. apps/auditor names it too (a test keeps them equal). */
export const AUDITOR_ROLE = 'oncepay_auditor';

/**
 * The migrated database each test database of one test run is cloned from. Named per run, so two
 * runs sharing one PostgreSQL (two terminals, or a run beside `npm start`) never touch each other's.
 */
export function templateDatabaseOf(service: ServiceSpec['name'], runId: string): string {
  return `oncepay_template_${runId}_${service}`;
}

/** Prefix of every per-test-file database of one run, so the run drops exactly its own leftovers. */
export function testDatabasePrefixOf(runId: string): string {
  return `oncepay_test_${runId}_`;
}

export const SERVICES: readonly ServiceSpec[] = [
  { name: 'transfer', workspace: 'apps/transfer-service', database: 'oncepay_transfer', defaultPort: 3000 },
  { name: 'ledger', workspace: 'apps/ledger-service', database: 'oncepay_ledger', defaultPort: 3001 },
  {
    name: 'notification',
    workspace: 'apps/notification-service',
    database: 'oncepay_notification',
    defaultPort: 3002,
  },
];

/**
 * The console (apps/console): a page showing transfers as their events cross Kafka, started by `npm start`
 * after the services. Not a service of its own: no database, no topic, nothing it publishes.
 */
export const CONSOLE = { name: 'console', workspace: 'apps/console', defaultPort: 3003 } as const;

/**
 * Node flags every service runs with (the dev stack, the tests, the bench; the Docker image sets the
 * same in NODE_OPTIONS). V8 sizes its heap for the machine, not the service, and grows it lazily: a
 * smaller young generation and an old-space cap keep a service's resident memory near what it uses.
 */
export const SERVICE_NODE_FLAGS = ['--max-old-space-size=160', '--max-semi-space-size=8'] as const;

/**
 * The service environment that lifts the per-client rate limit (the maximum RATE_LIMIT_MAX allows), for
 * the tools that send far more as one client than a real client may: the tests (except the rate-limit
 * test, which sets its own), the benchmark and the API fuzzer. They test the system, not the limit.
 */
export const RATE_LIMIT_LIFTED = { RATE_LIMIT_MAX: '1000000' } as const;
