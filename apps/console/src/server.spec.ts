// Proves the console's HTTP answers without a broker (the feed is fed by hand, the trails are given):
// the page and health, the timeline of a transfer (400 for an id that is not one, the wire merged with
// the trails), and the lab's refusals: 415 without JSON, 409 where it is not available.
import path from 'node:path';
import pino from 'pino';
import { LabRuns } from './lab/lab-runs';
import { LiveFeed } from './live/live-feed';
import { TransferWindow } from './live/transfer-window';
import { buildConsoleServer } from './server';

const TRANSFER = '0b9d7c3e-6f0a-4d8e-9a51-2c1f3e4d5a60';

async function server(observing: boolean) {
  return buildConsoleServer({
    feed: new LiveFeed(new TransferWindow()),
    trailsOf: async () => [
      {
        service: 'transfer',
        available: true,
        entries: [{ at: '2026-11-30T10:00:00Z', kind: 'accepted', summary: 'accepted' }],
      },
      { service: 'ledger', available: false, reason: 'the service serves no trail (404)' },
      { service: 'notification', available: false, reason: 'the service answered 503' },
    ],
    labRuns: new LabRuns({ repoRoot: undefined, outRoot: '/nonexistent', env: {} }),
    observing: () => observing,
    logger: pino({ level: 'silent' }),
    publicDir: path.join(__dirname, 'public'),
  });
}

describe('the console server', () => {
  it('serves the page, and is ready only once it observes the topics', async () => {
    const [ready, notYet] = [await server(true), await server(false)];
    const page = await ready.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>OncePay console</title>');
    expect((await ready.inject({ method: 'GET', url: '/console.js' })).statusCode).toBe(200);
    expect((await ready.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    expect((await notYet.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
    expect((await notYet.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
    expect((await notYet.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    await Promise.all([ready.close(), notYet.close()]);
  });

  it("merges a transfer's trails into its timeline, and refuses an id that is not a UUID", async () => {
    const app = await server(true);
    const bad = await app.inject({ method: 'GET', url: '/api/transfers/42/timeline' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const timeline = await app.inject({ method: 'GET', url: `/api/transfers/${TRANSFER}/timeline` });
    expect(timeline.statusCode).toBe(200);
    expect(timeline.json()).toMatchObject({
      transferId: TRANSFER,
      summary: null,
      entries: [{ source: 'transfer', kind: 'accepted', marks: [] }],
      lanes: [
        { source: 'transfer', available: true },
        { source: 'ledger', available: false, reason: 'the service serves no trail (404)' },
        { source: 'notification', available: false, reason: 'the service answered 503' },
        { source: 'wire', available: true, entries: 0 },
      ],
    });
    await app.close();
  });

  it('starts a lab run only on a JSON request, and says why none can start here', async () => {
    const app = await server(true);
    expect((await app.inject({ method: 'POST', url: '/api/lab-runs' })).statusCode).toBe(415);
    const refused = await app.inject({ method: 'POST', url: '/api/lab-runs', payload: {} });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'LAB_NOT_AVAILABLE' });
    const current = await app.inject({ method: 'GET', url: '/api/lab-runs/current' });
    expect(current.json()).toMatchObject({ available: false, run: null });
    await app.close();
  });
});
