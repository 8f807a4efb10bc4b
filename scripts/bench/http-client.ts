// The load generator's HTTP side: the typed @oncepay/client, sending through undici's fetch over a
// keep-alive pool of bounded size. It shares the machine with what it measures, so it stays cheap:
// connections are reused, and nothing retries (a benchmark counts a failure, it does not hide it
// behind a second attempt).
import {
  createLedgerClient,
  createTransferClient,
  type LedgerClient,
  type ServiceClientOptions,
  type TransferClient,
} from '@oncepay/client';
import { Agent, fetch as undiciFetch, Request as UndiciRequest } from 'undici';

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

export function benchTransferClient(
  baseUrl: string,
  apiKey: string,
  options: PoolOptions = {},
): BenchClient<TransferClient> {
  const pool = pooledFetch(options);
  return { client: createTransferClient(baseUrl, { apiKey, ...pool.options }), close: pool.close };
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
 * undici's fetch over an Agent of at most `maxSockets` keep-alive connections per origin. undici's
 * fetch takes only its own Request, so openapi-fetch is handed that class too; the two are the same
 * WHATWG classes as the global ones (Node's fetch is undici), which the casts below only restate.
 */
function pooledFetch({ maxSockets = 256, timeoutMs = 30_000 }: PoolOptions): {
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
  // undici's fetch rejects with `TypeError: fetch failed` and the reason (a code) as its cause.
  const reason = error instanceof TypeError && error.cause !== undefined ? error.cause : error;
  const code = (reason as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (typeof code === 'string') return code;
  return reason instanceof Error ? reason.message.slice(0, 60) : String(reason).slice(0, 60);
}
