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

/** The migrated database each test database is cloned from (prepared once per test run). */
export function templateDatabaseOf(service: ServiceSpec['name']): string {
  return `oncepay_template_${service}`;
}

/** Prefix of every per-test-file database, so leftovers of a crashed run can be found and dropped. */
export const TEST_DATABASE_PREFIX = 'oncepay_test_';

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
