// Proves each service's committed migrations build exactly the database its Prisma schema
// describes: after applying them there is no pending diff, so the schema stays the one source of truth.
import { createTestDatabase } from '@oncepay/test-support';
import { pendingSchemaDiff } from '../scripts/db/schema-engine';
import { schemaPathOf } from '../scripts/db/schema-paths';
import { SERVICES } from '../scripts/infra/services';

describe.each(SERVICES.map((service) => service.name))('the %s database', (service) => {
  it('matches its Prisma schema after the migrations are applied', async () => {
    const database = await createTestDatabase(service);
    try {
      await expect(
        pendingSchemaDiff({ databaseUrl: database.url, schemaPath: schemaPathOf(service) }),
      ).resolves.toBe('');
    } finally {
      await database.drop();
    }
  });
});
