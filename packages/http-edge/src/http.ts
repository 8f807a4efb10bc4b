// The HTTP edge every service shares: Fastify under Nest, a bounded JSON body parser whose failures are
// problem documents, a per-client rate limit and request timeouts, the problem-details filter for
// everything thrown behind it, and the service's OpenAPI docs at /docs.
//
// Why Fastify and not Nest's default Express: the transfer API's accept path is the busiest code of the
// system, and Nest on Express spent about 0.15 ms of CPU per request in the framework alone (routing,
// middleware chain, body parser), against about 0.03 ms on Fastify, measured on this project's
// benchmark machine (docs/performance.md).
import rateLimit from '@fastify/rate-limit';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import secureJson from 'secure-json-parse';
import { findApiClient, type ApiKeys } from './api-keys';
import { serveOpenApiDocs } from './openapi-docs';
import {
  PROBLEM_CONTENT_TYPE,
  problemDocument,
  ProblemDetailsFilter,
  ProblemException,
  sendProblem,
} from './problem-details';

/** Bodies are small JSON documents; anything larger is refused with 413 before it is parsed. */
export const MAX_BODY_BYTES = 16 * 1024;

/** JSON (`application/json`, `application/*+json`, any parameters) is the only body the API takes; others are a 415. */
const JSON_CONTENT_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** How often Node looks for requests past their timeout (its default is 30 s, too coarse for 10 s limits). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

/** The HTTP adapter every service is created with: `NestFactory.create(module, createHttpAdapter(), ...)`. */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    // What Fastify refuses before routing (a path it cannot decode, `/v1/transfers/%zz`; a path
    // parameter over its length limit) reaches no filter: answered here, as every error is, with a
    // problem document.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(reply, { ...urlProblem(error), instance: request.url }),
    clientErrorHandler: answerClientError,
    serverFactory: (handler: RequestListener) =>
      createServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS }, handler),
  });
}

/** The problem for a URL Fastify refused before routing, by the status Fastify gives its error. */
function urlProblem(error: FastifyError) {
  if (error.statusCode === 400)
    return problemDocument({
      status: 400,
      code: 'MALFORMED_URL',
      title: 'The request URL cannot be decoded',
      detail: error.message,
    });
  if (error.statusCode === 414)
    return problemDocument({
      status: 414,
      code: 'URI_TOO_LONG',
      title: 'A path parameter is too long',
      detail: error.message,
    });
  // An asynchronous route constraint failed: OncePay declares none, so this is a bug, not the client's.
  return problemDocument({ status: 500, code: 'INTERNAL_ERROR', title: 'Internal server error' });
}

/**
 * What Node's HTTP parser refuses before there is a request to route (headers over its 16 KiB limit, a
 * malformed header or chunk, a request slower to arrive than HTTP_REQUEST_TIMEOUT_MS) gets a problem
 * document too, and the connection is closed: nothing after the refused bytes can be trusted to start a
 * request. As Fastify's default handler does, nothing is written to a socket already reset or closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const problem = clientErrorProblem(error.code);
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** The problem for bytes Node's HTTP parser refused, by the code of its error. */
function clientErrorProblem(code: string | undefined) {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return problemDocument({
      status: 408,
      code: 'REQUEST_TIMEOUT',
      title: 'The request took too long to arrive',
      detail:
        "Its headers and body must arrive within the server's request timeout; the connection is closed.",
    });
  if (code === 'HPE_HEADER_OVERFLOW')
    return problemDocument({
      status: 431,
      code: 'HEADERS_TOO_LARGE',
      title: 'The request headers are too large',
      detail: 'The request line and headers together must stay under 16 KiB.',
    });
  return problemDocument({
    status: 400,
    code: 'MALFORMED_REQUEST',
    title: 'The request is not valid HTTP',
    ...(code ? { detail: `The HTTP parser refused it (${code}); the connection is closed.` } : {}),
  });
}

export interface HttpEdgeOptions {
  /**
   * The longest a request may take to arrive, headers and body: a client that sends a few bytes and
   * stalls is cut off (408, connection closed) instead of holding a connection.
   */
  requestTimeoutMs: number;
  /** Requests per window per client on the /v1 API; over it, 429 with Retry-After. null: no limit. */
  rateLimit: { max: number; windowMs: number; apiKeys: ApiKeys } | null;
}

/** For an app without a service configuration (a probe in a test): Node's own timeouts, no rate limit. */
const NO_LIMITS: HttpEdgeOptions = { requestTimeoutMs: 300_000, rateLimit: null };

/** Call before `listen`, on an app created with `createHttpAdapter()` and `{ bodyParser: false }`. */
export async function configureHttp(
  app: INestApplication,
  options: HttpEdgeOptions = NO_LIMITS,
): Promise<void> {
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance() as FastifyInstance;
  applyTimeouts(app.getHttpServer() as Server, options.requestTimeoutMs);
  fastify.addHook('onRequest', correlate);
  answerUndeclaredMethods(fastify);
  if (options.rateLimit) await limitRates(app as NestFastifyApplication, options.rateLimit);
  // Fastify's own parsers answer with its own errors and take text/plain too; this one takes JSON only.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'buffer' }, parseJson);
  app.useGlobalFilters(new ProblemDetailsFilter());
  serveOpenApiDocs(app);
}

/**
 * 405 METHOD_NOT_ALLOWED with `Allow` for a path that exists under other methods (`DELETE /v1/transfers`),
 * where Fastify would answer 404: the resource is there, the method is not. Routes are collected as
 * they are added, so it is registered before Nest adds its routes.
 */
function answerUndeclaredMethods(fastify: FastifyInstance): void {
  const routes: Array<{ method: string; path: RegExp }> = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, path: pathPattern(route.url) });
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done();
    const path = request.url.split('?')[0] ?? '';
    const allowed = [
      ...new Set(routes.filter((route) => route.path.test(path)).map((route) => route.method)),
    ];
    // No route under another method, or a near miss of this one (a trailing slash): a plain 404.
    if (allowed.length === 0 || allowed.includes(request.method)) return done();
    void reply.header('allow', allowed.join(', '));
    done(
      new ProblemException(
        405,
        'METHOD_NOT_ALLOWED',
        `${request.method} is not allowed on this resource`,
        `Allowed: ${allowed.join(', ')}.`,
      ),
    );
  });
}

/** A route's URL (`/v1/transfers/:id`, `/docs/*`) as a pattern for concrete paths. */
function pathPattern(url: string): RegExp {
  const segments = url.split('/').map((segment) => {
    if (segment.startsWith(':')) return '[^/]+';
    if (segment === '*') return '.*';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}/?$`);
}

/**
 * Limits how long a request may take to arrive (headers and body), not how long the service takes to
 * answer it: a request waiting on the database still gets its 503. Node checks them every
 * CONNECTIONS_CHECKING_INTERVAL_MS (createHttpAdapter), answers 408 and closes the connection.
 */
function applyTimeouts(server: Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = timeoutMs;
}

/**
 * @fastify/rate-limit on every /v1 route, counted per client: by the client of a valid API key, so one
 * client over its limit never slows another, and by address for requests without one. Registered
 * before Nest adds its routes, so each route gets the limit.
 */
async function limitRates(
  app: NestFastifyApplication,
  limit: { max: number; windowMs: number; apiKeys: ApiKeys },
): Promise<void> {
  await app.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowMs,
    // By the route the request matched, not its raw URL: `/%761/transfers` or an absolute-form
    // `http://host/v1/...` reach the same handlers and must be counted the same.
    allowList: (request) => !(request.routeOptions.url ?? '').startsWith('/v1/'),
    keyGenerator: (request) => {
      const client = findApiClient(limit.apiKeys, request.headers.authorization);
      return client ? `client:${client.clientId}` : `address:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new ProblemException(
        429,
        'RATE_LIMITED',
        'Too many requests',
        `At most ${context.max} requests per ${limit.windowMs} ms for each client; retry after the Retry-After seconds.`,
      ),
  });
}

/**
 * JSON is exchanged as UTF-8 (RFC 8259), whatever `charset` a Content-Type names. The body is decoded
 * strictly: bytes that are not UTF-8 are refused, never replaced by U+FFFD, which would store a reference
 * other than the one sent and give two different bodies one idempotency fingerprint.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(
  _request: FastifyRequest,
  body: Buffer,
  done: (error: Error | null, body?: unknown) => void,
): void {
  // An empty body is no body, whatever its Content-Type says: `curl -H 'Content-Type: application/json'`
  // without -d is a void or a capture of the whole hold, not malformed JSON. A route that needs a
  // body still refuses its absence, with a VALIDATION_ERROR.
  if (body.length === 0) {
    done(null, undefined);
    return;
  }
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    done(
      new ProblemException(
        400,
        'MALFORMED_JSON',
        'The request body is not valid JSON',
        'The body is not UTF-8; JSON is exchanged as UTF-8 (RFC 8259).',
      ),
    );
    return;
  }
  // Fastify's own protection against prototype poisoning: a `__proto__` or `constructor.prototype`
  // key is refused, never handed to code that might merge the body into another object.
  try {
    done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
  } catch (error) {
    const poisoned = error instanceof SyntaxError && /forbidden prototype property/.test(error.message);
    done(
      new ProblemException(
        400,
        'MALFORMED_JSON',
        'The request body is not valid JSON',
        poisoned ? 'A __proto__ or constructor.prototype key is not accepted.' : undefined,
      ),
    );
  }
}

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * Every request carries a correlation id: the caller's `X-Correlation-Id` when it is sane, a new UUID
 * otherwise. It is echoed in the response and travels in every event the request causes, so one
 * transfer can be followed through every service's logs.
 */
function correlate(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const given = request.headers[CORRELATION_HEADER];
  const id = typeof given === 'string' && /^[\x21-\x7E]{1,200}$/.test(given) ? given : randomUUID();
  request.headers[CORRELATION_HEADER] = id;
  void reply.header('X-Correlation-Id', id);
  done();
}
