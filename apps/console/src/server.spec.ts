// Proves the console's HTTP answers without a broker (the feed is fed by hand, the trails are given):
// the page and health, the timeline of a transfer (400 for an id that is not one, the wire merged with
// the trails), the lab's refusals: 415 without JSON, 409 where it is not available, 421 for a Host it is
// not served as (DNS rebinding), headers that keep other sites from framing it (clickjacking), and 503
// past the cap on open live streams.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { LabRuns } from './lab/lab-runs';
import { LiveFeed } from './live/live-feed';
import { TransferWindow } from './live/transfer-window';
import { allowedHostsOf, buildConsoleServer, MAX_SSE_STREAMS } from './server';

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
    // Port 80: what `inject` sends by default (`Host: localhost:80`).
    allowedHosts: allowedHostsOf(80, ['console.internal:8443']),
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
    const health = await ready.inject({ method: 'GET', url: '/health/ready' });
    expect({ status: health.statusCode, body: health.json() }).toEqual({
      status: 200,
      body: { status: 'up', observer: 'running', undecodable: 0 },
    });
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

  it('lets no other site frame it, and the page load only its own script and style', async () => {
    const app = await server(true);
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.headers['x-frame-options']).toBe('DENY');
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('upgrade-insecure-requests');
    expect(page.headers['strict-transport-security']).toBeUndefined();
    await app.close();
  });

  it('answers only the hosts it is served as, health whatever the Host', async () => {
    expect(allowedHostsOf(3003, ['127.0.0.1:49152', 'LOCALHOST:49152'])).toEqual([
      '127.0.0.1:3003',
      'localhost:3003',
      '[::1]:3003',
      '127.0.0.1:49152',
      'localhost:49152',
    ]);
    const app = await server(true);
    const as = (host: string, url = '/api/transfers') =>
      app.inject({ method: 'GET', url, headers: { host } });
    for (const host of ['localhost', '127.0.0.1:80', '[::1]:80', 'console.internal:8443'])
      expect({ host, status: (await as(host)).statusCode }).toEqual({ host, status: 200 });
    // A rebound name resolving to 127.0.0.1 still sends its own name; another port is another origin.
    for (const host of ['attacker.example', 'attacker.example:80', '127.0.0.1:8080']) {
      const refused = await as(host);
      expect({ host, status: refused.statusCode }).toEqual({ host, status: 421 });
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({ status: 421, code: 'MISDIRECTED_REQUEST' });
    }
    expect((await as('attacker.example', '/')).statusCode).toBe(421);
    expect((await as('attacker.example', '/health/live')).statusCode).toBe(200);
    expect((await as('attacker.example', '/health/ready?probe=1')).statusCode).toBe(200);
    await app.close();
  });

  it('opens a live stream with a snapshot of the window, and its capacity for the page to keep', async () => {
    const app = await server(true);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const first = await new Promise<string>((resolve, reject) => {
      const request = http.get(
        { host: '127.0.0.1', port, path: '/api/stream', headers: { host: 'localhost' } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('\n\n')) {
              request.destroy();
              resolve(text.split('\n\n')[0] as string);
            }
          });
        },
      );
      request.once('error', reject);
    });
    const [event, data] = first.split('\n');
    expect(event).toBe('event: snapshot');
    expect(JSON.parse((data as string).slice('data: '.length))).toEqual({
      transfers: [],
      events: [],
      capacity: new TransferWindow().capacity,
    });
    await app.close();
  });

  it(`refuses a live stream past ${MAX_SSE_STREAMS} open ones with 503, and counts closed ones out`, async () => {
    const app = await server(true);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const open = (): Promise<{ status: number; request: http.ClientRequest; body: Promise<string> }> =>
      new Promise((resolve, reject) => {
        const request = http.get(
          { host: '127.0.0.1', port, path: '/api/stream', headers: { host: 'localhost' } },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            const body = new Promise<string>((done) => response.once('end', () => done(text)));
            resolve({ status: response.statusCode ?? 0, request, body });
          },
        );
        request.once('error', reject);
      });
    const streams = [];
    for (let i = 0; i < MAX_SSE_STREAMS; i++) streams.push(await open());
    expect(streams.every((stream) => stream.status === 200)).toBe(true);
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(JSON.parse(await refused.body)).toMatchObject({ code: 'TOO_MANY_STREAMS' });
    // One closes: the server sees its socket close, and a new stream is let in.
    const closing = streams.pop();
    closing?.request.destroy();
    let next = await open();
    for (let attempt = 0; next.status !== 200 && attempt < 100; attempt++) {
      await new Promise((resolve) => setImmediate(resolve));
      next = await open();
    }
    expect(next.status).toBe(200);
    for (const stream of [...streams, next]) stream.request.destroy();
    await app.close();
  });
});
