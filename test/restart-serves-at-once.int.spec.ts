// Proves a service killed with -9 and started again serves HTTP as soon as it listens, while its
// consumer joins the group in the background: the group first waits out the dead member's session, and
// readiness says so (consumer joining) until the new member holds the partitions.
import {
  createTestDatabase,
  killAllKillableServices,
  startKillableService,
  type TestDatabase,
} from '@oncepay/test-support';

describe('a restarted service', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('ledger');
  });
  afterAll(async () => {
    await killAllKillableServices();
    await database.drop();
  });

  it('answers /health/live within a second of listening, and is ready once its consumer joined', async () => {
    const first = await startKillableService('ledger', database.url);
    await first.kill('SIGKILL');

    const second = await startKillableService('ledger', database.url, {
      port: first.port,
      healthPath: '/health/live',
    });
    const liveAt = Date.now();
    const listenedAt = listeningTime(second.logs);
    expect(liveAt - listenedAt).toBeLessThan(1_000);

    const early = await fetch(`${second.baseUrl}/health/ready`);
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({
      checks: { 'consumer:ledger-service': { status: 'down', error: 'joining' } },
    });
    let readyAt = 0;
    while (readyAt === 0 && Date.now() - liveAt < 60_000) {
      if ((await fetch(`${second.baseUrl}/health/ready`)).ok) readyAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(readyAt).toBeGreaterThan(0);
    console.log(
      `[restart] live ${liveAt - listenedAt} ms after listening; ready ${readyAt - liveAt} ms after that`,
    );
    await second.kill();
  }, 120_000);
});

/** When the service logged that it listens (its JSON log line's ISO 8601 `time`). */
function listeningTime(logs: string[]): number {
  for (const line of logs) {
    if (!line.includes('listening on port')) continue;
    return Date.parse((JSON.parse(line) as { time: string }).time);
  }
  throw new Error(`no "listening on port" line in:\n${logs.join('\n')}`);
}
