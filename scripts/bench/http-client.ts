// The load generator's HTTP side. It shares the machine with what it measures, so the hot path stays
// cheap: POST /v1/transfers goes straight through an undici Pool (`pool.request`: no WHATWG Request or
// Response per transfer, which cost the generator four times the CPU over fetch), typed by the
// transfer-service's generated OpenAPI types all the same. The set-up requests (accounts, funding) and
// the flows' captures, few and not what is measured, use the typed @oncepay/client over undici's fetch.
// Either way connections are kept alive and bounded, and nothing retries (a benchmark counts a failure,
// it does not hide it behind a second attempt).
import {
  createLedgerClient,
  createTransferClient,
  type LedgerClient,
  type ServiceClientOptions,
  type TransferClient,
  type TransferPaths,
} from '@oncepay/client';
import { Agent, fetch as undiciFetch, Pool, Request as UndiciRequest } from 'undici';

/** One service's typed client and the pool it sends through. */
export interface BenchClient<C> {
  client: C;
  /** Closes every connection of the pool. */
  close(): Promise<void>;
}

export interface PoolOptions {
  /** Bounds the connections; requests beyond it wait for one, and that wait is measured. */
  maxSockets?: number;
  /** A request whose answer (its headers, then each part of its body) takes longer fails: `timeout`. */
  timeoutMs?: number;
}

type RequestTransferOperation = TransferPaths['/v1/transfers']['post'];
export type TransferRequestBody = RequestTransferOperation['requestBody']['content']['application/json'];
export type AcceptedTransfer = RequestTransferOperation['responses'][202]['content']['application/json'];
export type IdempotencyKey = RequestTransferOperation['parameters']['header']['Idempotency-Key'];

/** The answer to one POST /v1/transfers: the transfer on 202; any other status without its body. */
export type PostTransferAnswer =
  { status: 202; transfer: AcceptedTransfer } | { status: number; transfer: null };

/** Sends one POST /v1/transfers. Rejects only when no answer came (a reset, a timeout: see failureLabel). */
export type PostTransfer = (body: TransferRequestBody, key: IdempotencyKey) => Promise<PostTransferAnswer>;

export interface BenchTransferClient extends BenchClient<TransferClient> {
  /** The load's request, through its own pool of at most `maxSockets` connections. */
  postTransfer: PostTransfer;
}

const DEFAULTS = { maxSockets: 256, timeoutMs: 30_000 };

export function benchTransferClient(
  baseUrl: string,
  apiKey: string,
  options: PoolOptions = {},
): BenchTransferClient {
  const fetchPool = pooledFetch(options);
  const load = transferPoster(baseUrl, apiKey, options);
  return {
    client: createTransferClient(baseUrl, { apiKey, ...fetchPool.options }),
    postTransfer: load.postTransfer,
    close: async () => {
      await Promise.all([fetchPool.close(), load.close()]);
    },
  };
}

export function benchLedgerClient(
  baseUrl: string,
  apiKey: string,
  options: PoolOptions = {},
): BenchClient<LedgerClient> {
  const pool = pooledFetch(options);
  return { client: createLedgerClient(baseUrl, { apiKey, ...pool.options }), close: pool.close };
}

/**
 * POST /v1/transfers over an undici Pool of at most `maxSockets` keep-alive connections to one origin,
 * one request per connection at a time (no pipelining: a slow answer must not hold up the next).
 */
export function transferPoster(
  baseUrl: string,
  apiKey: string,
  { maxSockets = DEFAULTS.maxSockets, timeoutMs = DEFAULTS.timeoutMs }: PoolOptions = {},
): { postTransfer: PostTransfer; close: () => Promise<void> } {
  const url = new URL('/v1/transfers', baseUrl);
  const pool = new Pool(url.origin, {
    connections: maxSockets,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const authorization = `Bearer ${apiKey}`;
  const postTransfer: PostTransfer = async (body, key) => {
    const answer = await pool.request({
      path: url.pathname,
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
    });
    if (answer.statusCode !== 202) {
      // Read to the end all the same: an unread body would keep its connection from the pool.
      await answer.body.dump();
      return { status: answer.statusCode, transfer: null };
    }
    return { status: 202, transfer: (await answer.body.json()) as AcceptedTransfer };
  };
  return { postTransfer, close: () => pool.close() };
}

/**
 * undici's fetch over an Agent of at most `maxSockets` keep-alive connections per origin. undici's
 * fetch takes only its own Request, so openapi-fetch is handed that class too; the two are the same
 * WHATWG classes as the global ones (Node's fetch is undici), which the casts below only restate.
 */
function pooledFetch({ maxSockets = DEFAULTS.maxSockets, timeoutMs = DEFAULTS.timeoutMs }: PoolOptions): {
  options: Pick<ServiceClientOptions, 'fetch' | 'Request'>;
  close: () => Promise<void>;
} {
  const agent = new Agent({ connections: maxSockets, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const send = (request: Request) =>
    undiciFetch(request as unknown as UndiciRequest, { dispatcher: agent }) as unknown as Promise<Response>;
  return {
    options: { fetch: send, Request: UndiciRequest as unknown as typeof Request },
    close: () => agent.close(),
  };
}

/** A short, stable label for a failed request: `HTTP 503`, `timeout`, `ECONNREFUSED`... */
export function failureLabel(error: unknown): string {
  // undici's fetch rejects with `TypeError: fetch failed` and the reason (a code) as its cause; its
  // Pool rejects with the reason itself.
  const reason = error instanceof TypeError && error.cause !== undefined ? error.cause : error;
  const code = (reason as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (typeof code === 'string') return code;
  return reason instanceof Error ? reason.message.slice(0, 60) : String(reason).slice(0, 60);
}
