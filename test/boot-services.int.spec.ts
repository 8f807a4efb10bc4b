// bootServices' promise when one service cannot start: the services that did start are stopped and
// every database it created is dropped before it throws, so a failed boot leaves nothing behind for the
// next spec (a running consumer in the test run's consumer groups, a database on the shared server).
// The real helpers run; the spies only record which databases and processes they made.
import { testEnv } from '@oncepay/test-support';
import { withPgClient } from '../scripts/infra/postgres';
import { bootServices } from './support/boot-services';
import * as databases from './support/database';
import * as services from './support/killable-service';

describe('bootServices, when one service fails to start', () => {
  afterEach(() => jest.restoreAllMocks());

  it('stops the ones that started, drops every database and throws the failure', async () => {
    const created = jest.spyOn(databases, 'createTestDatabase');
    const started = jest.spyOn(services, 'startKillableService');

    // An invalid PORT: the notification-service exits at once, naming it; the ledger starts normally.
    await expect(
      bootServices(['ledger', 'notification'], { notification: { PORT: 'eighty' } }),
    ).rejects.toThrow(/notification-service[\s\S]*PORT: Invalid input/);

    const names = await Promise.all(created.mock.results.map(async (result) => (await result.value).name));
    expect(names).toHaveLength(2);
    const left = await withPgClient(testEnv.postgresAdminUrl, (admin) =>
      admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]),
    );
    expect(left.rows).toEqual([]);

    // The ledger was up (its start resolved) and is gone now; the notification-service never was.
    const outcomes = await Promise.allSettled(started.mock.results.map((result) => result.value));
    const up = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(up.map((service) => service.name)).toEqual(['ledger']);
    // Ended by the signal: Nest re-raises SIGTERM once its shutdown hooks ran.
    await expect(up[0]!.exited).resolves.toBeNull();
    expect(() => process.kill(up[0]!.pid, 0)).toThrow(/ESRCH/);
  });
});
