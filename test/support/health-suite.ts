// The /health contract every service shares, as one suite each app runs against its own module:
// healthy on the real database and broker, 503 (with Retry-After) naming the database when it cannot
// be reached.
import type { DynamicModule } from '@nestjs/common';
import type { ServiceSpec } from '../../scripts/infra/services';
import { createTestDatabase, type TestDatabase } from './database';
import { startTestService, type TestService } from './service';

export function describeHealthEndpoint(
  service: ServiceSpec['name'],
  moduleFor: (env: Record<string, unknown>) => DynamicModule,
): void {
  describe(`${service}-service GET /health`, () => {
    let database: TestDatabase;
    let running: TestService | undefined;

    beforeAll(async () => {
      database = await createTestDatabase(service);
    });
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });
    afterAll(() => database.drop());

    it('answers 200 with the database and Kafka up', async () => {
      running = await startTestService(moduleFor, { DATABASE_URL: database.url });
      const response = await fetch(`${running.baseUrl}/health`);
      const body = await response.json();
      expect(response.status).toBe(200);
      expect(body).toMatchObject({
        status: 'ok',
        checks: { database: { status: 'up' }, kafka: { status: 'up', brokerCount: 1 } },
      });
    });

    it('answers 503 with Retry-After, naming the database, when it is unreachable', async () => {
      const unreachable = new URL(database.url);
      unreachable.port = '1';
      running = await startTestService(moduleFor, { DATABASE_URL: unreachable.toString() });
      const response = await fetch(`${running.baseUrl}/health`);
      const body = await response.json();
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(body).toMatchObject({
        status: 'error',
        checks: { database: { status: 'down' }, kafka: { status: 'up' } },
      });
    });
  });
}
