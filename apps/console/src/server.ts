// The console's HTTP side: the page (static files), the live feed as Server-Sent Events, one transfer's
// timeline, the lab, and the health endpoints. It holds an operator's key for the services' trails and
// has no login of its own: publish it on 127.0.0.1 only (npm start and docker-compose.yml do), it
// answers only requests addressed to a host it is served as (see allowedHostsOf), and no other site's
// page may frame it.
import path from 'node:path';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { idSchema } from '@oncepay/contracts';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { LabRuns } from './lab/lab-runs';
import type { LiveFeed, LiveUpdate } from './live/live-feed';
import { mergeTimeline } from './timeline/merge-timeline';
import type { TrailResult } from './timeline/trail';

export interface ConsoleServerOptions {
  feed: LiveFeed;
  /** Each service's trail of a transfer (see timeline/trail.ts). */
  trailsOf: (transferId: string) => Promise<TrailResult[]>;
  labRuns: LabRuns;
  /** True once the wire observer reads the topics: the live view is complete from then on. */
  observing: () => boolean;
  logger: Logger;
  /** The Host headers it answers (allowedHostsOf); any other gets 421. */
  allowedHosts: readonly string[];
  publicDir?: string;
}

/** A browser that stops reading is dropped once this much waits for it; its EventSource reconnects. */
const MAX_BUFFERED_SSE_BYTES = 1024 * 1024;
/** A comment line now and then, so proxies and browsers keep an idle stream open. */
const SSE_KEEPALIVE_MS = 15_000;
/** Open live streams at most; one more is refused with 503 (each holds a socket and a feed listener). */
export const MAX_SSE_STREAMS = 50;
/** Paths answered whatever the Host: they tell nothing, and an orchestrator's probe uses its own address. */
const HOST_EXEMPT_PATHS = new Set(['/health/live', '/health/ready', '/health']);

/**
 * The Host headers the console answers: the loopback names on the port it listens on, and `listed`
 * (CONSOLE_ALLOWED_HOSTS: a published port differs from the one inside its container, and the browser
 * sends the one it used). A page on a rebound DNS name sends that name, and is refused.
 */
export function allowedHostsOf(port: number, listed: readonly string[]): string[] {
  const loopback = ['127.0.0.1', 'localhost', '[::1]'];
  // A browser leaves the port out of Host when it is the scheme's default.
  const names =
    port === 80
      ? loopback.flatMap((name) => [name, `${name}:80`])
      : loopback.map((name) => `${name}:${port}`);
  return [...new Set([...names, ...listed.map((host) => host.toLowerCase())])];
}

export async function buildConsoleServer(options: ConsoleServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify's own lines at warn and above: its errors, not a line per request (the page polls and
    // streams). Typed as Fastify's logger, so the instance has Fastify's default type (pino's is one).
    loggerInstance: options.logger.child({ logger: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    // The live streams never end by themselves: closing the server ends them.
    forceCloseConnections: true,
  });
  const allowedHosts = new Set(options.allowedHosts);
  app.addHook('onRequest', async (request, reply) => {
    if (HOST_EXEMPT_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const host = request.headers.host?.toLowerCase();
    if (host === undefined || !allowedHosts.has(host))
      return problem(
        reply,
        421,
        'MISDIRECTED_REQUEST',
        'this console is not served under that Host (CONSOLE_ALLOWED_HOSTS lists more)',
      );
  });
  // Security headers (helmet). Above all, no page of another site may frame the console: a hidden frame
  // could steer a click onto "Start a lab run", which the Host check cannot tell from the operator's own.
  // The page loads only its own script and stylesheet. Plain HTTP on the operator's machine: no HSTS, and
  // no upgrade of its requests to an HTTPS it does not serve.
  await app.register(helmet, {
    contentSecurityPolicy: { directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
  // A lab run in progress is stopped with the server: it is the console's child.
  app.addHook('onClose', async () => options.labRuns.stop());
  await app.register(fastifyStatic, {
    root: options.publicDir ?? path.join(__dirname, 'public'),
    index: 'index.html',
    cacheControl: false,
  });

  app.get('/health/live', async () => ({ status: 'up' }));
  // Ready once the observer reads the topics; `/health` is the same report, as on the services. It also
  // counts the messages seen that were no OncePay event: the page shows events only, `npm run dlq` those.
  for (const url of ['/health/ready', '/health'])
    app.get(url, async (_request, reply) => {
      const undecodable = options.feed.undecodableCount();
      return options.observing()
        ? { status: 'up', observer: 'running', undecodable }
        : reply.code(503).send({ status: 'down', observer: 'not reading the topics', undecodable });
    });

  app.get('/api/transfers', async () => ({ transfers: options.feed.recent() }));

  let openStreams = 0;
  app.get('/api/stream', (request, reply) => {
    if (openStreams >= MAX_SSE_STREAMS)
      return problem(reply, 503, 'TOO_MANY_STREAMS', `${MAX_SSE_STREAMS} live streams are open already`);
    openStreams += 1;
    streamLiveFeed(options.feed, reply, () => (openStreams -= 1));
  });

  app.get<{ Params: { id: string } }>('/api/transfers/:id/timeline', async (request, reply) => {
    const id = idSchema.safeParse(request.params.id);
    if (!id.success) return problem(reply, 400, 'INVALID_TRANSFER_ID', 'the transfer id must be a UUID');
    const trails = await options.trailsOf(id.data);
    return {
      ...mergeTimeline(id.data, trails, options.feed.eventsOf(id.data)),
      summary: options.feed.summaryOf(id.data) ?? null,
    };
  });

  app.get('/api/lab-runs/current', async () => ({
    ...options.labRuns.availability(),
    run: options.labRuns.latest() ?? null,
  }));

  app.post('/api/lab-runs', async (request, reply) => {
    // Only a JSON request: a form on another site cannot send one without a CORS preflight, which this
    // server never grants, so no page but the console's can start a lab run.
    if (!request.headers['content-type']?.startsWith('application/json'))
      return problem(reply, 415, 'JSON_REQUIRED', 'send Content-Type: application/json');
    const result = options.labRuns.start();
    if (result.started) return reply.code(202).send({ run: result.run });
    if (result.why === 'running')
      return problem(reply, 409, 'LAB_RUN_IN_PROGRESS', 'a lab run is in progress; one at a time', {
        run: result.run,
      });
    return problem(reply, 409, 'LAB_NOT_AVAILABLE', result.reason);
  });

  return app;
}

/** Server-Sent Events: a snapshot of the window first, then one `wire` event per event seen on Kafka. */
function streamLiveFeed(feed: LiveFeed, reply: FastifyReply, onClose: () => void): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const frame = (event: string, data: unknown): string =>
    `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  // The snapshot goes first, whatever its size (a large CONSOLE_WINDOW_TRANSFERS makes it megabytes);
  // every later write, keepalives included, goes through the bound on what waits for a browser beyond it.
  const snapshot = frame('snapshot', {
    transfers: feed.recent(),
    events: feed.recentEvents(),
    capacity: feed.capacity(),
  });
  const bound = MAX_BUFFERED_SSE_BYTES + Buffer.byteLength(snapshot);
  raw.write(snapshot);
  const write = (text: string): void => {
    if (raw.destroyed) return;
    if (raw.writableLength > bound) return void raw.destroy();
    raw.write(text);
  };
  const send = (event: string, data: unknown): void => write(frame(event, data));
  const unsubscribe = feed.subscribe((update: LiveUpdate) => send('wire', update));
  const keepalive = setInterval(() => write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
  raw.once('close', () => {
    clearInterval(keepalive);
    unsubscribe();
    onClose();
  });
}

function problem(
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: code, status, code, detail, ...extra });
}
