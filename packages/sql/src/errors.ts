// Whether a failure is worth retrying decides between "wait and try again" (the database or broker
// will be back) and "give up on this input" (trying again cannot help): a consumer dead-letters the
// message, the HTTP edge answers 400 or 503. Errors say so, kafkajs-style, or by their codes.

/** Thrown by a handler for a message that can never succeed (e.g. it violates a business invariant). */
export class NonRetriableError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

// SQLSTATE classes and codes that mean "the database is busy or away", not "this message is bad".
const RETRIABLE_SQLSTATE_PREFIXES = ['08', '53', '57P'];
// 57014: a statement cancelled by statement_timeout (an overloaded database, not a bad message).
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '55006', '57014']);
// Prisma's codes for the same situations: unreachable, timed out, closed, pool exhausted, write conflict.
const RETRIABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);
/** Socket errors of Node.js: the network failed, never the request; shared with the Kafka side (publish-failure.ts). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  // A host that is not there at the moment (a container being restarted): no route, rather than a refusal.
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// Prisma's driver adapters name a lost connection by kind, without a code.
const RETRIABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
// node-postgres and pg-pool report these with a message only (no code): a connection lost mid-query
// (brianc/node-postgres#3621), a connection not made within connectionTimeoutMillis (the server is
// restarting, or its host name does not resolve yet), and a client or pool used after it broke.
const RETRIABLE_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
]);
const MAX_CAUSE_DEPTH = 5;

interface ErrorLike {
  retriable?: unknown;
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
  /** Prisma's driver adapters keep the database's own code here. */
  originalCode?: unknown;
}

/**
 * True for infrastructure failures that a later attempt can get past. Walks the `cause` chain, and
 * Prisma's `meta.driverAdapterError`, where Prisma 7 keeps the database's own error (and SQLSTATE).
 */
export function isRetriableError(error: unknown): boolean {
  for (const candidate of errorChain(error)) {
    if (candidate.retriable === false) return false;
    if (candidate.retriable === true) return true;
    if (typeof candidate.code === 'string' && isRetriableCode(candidate.code)) return true;
    if (typeof candidate.kind === 'string' && RETRIABLE_ADAPTER_KINDS.has(candidate.kind)) return true;
    if (typeof candidate.message === 'string' && RETRIABLE_MESSAGES.has(candidate.message)) return true;
  }
  return false;
}

/** The error, then each one it wraps (`cause`, or Prisma's `meta.driverAdapterError`), MAX_CAUSE_DEPTH at most. */
function* errorChain(error: unknown): Generator<ErrorLike> {
  let current: unknown = error;
  // typeof, not instanceof Object: an error made in another realm (Node's own socket errors, seen from
  // a vm context such as a jest test's) is no instance of this realm's Object, and is an error all the same.
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as ErrorLike;
    yield candidate;
    current = candidate.cause ?? candidate.meta?.driverAdapterError;
  }
}

/** Every code on the error or an error it wraps, and Prisma's copy of the database's own (originalCode). */
function* codesOf(error: unknown): Generator<string> {
  for (const candidate of errorChain(error))
    for (const code of [candidate.code, candidate.originalCode]) if (typeof code === 'string') yield code;
}

function isRetriableCode(code: string): boolean {
  return (
    RETRIABLE_SQLSTATES.has(code) ||
    RETRIABLE_PRISMA_CODES.has(code) ||
    NETWORK_ERROR_CODES.has(code) ||
    (code.length === 5 && RETRIABLE_SQLSTATE_PREFIXES.some((prefix) => code.startsWith(prefix)))
  );
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The SQLSTATE when PostgreSQL refused a value (class 22, data exception: a NUL in text, a date out of
 * range, a number too large), found on the error or on any error it wraps; otherwise undefined.
 */
export function postgresDataException(error: unknown): string | undefined {
  for (const code of codesOf(error)) if (/^22[0-9A-Z]{3}$/.test(code)) return code;
  return undefined;
}

/**
 * SQLSTATE classes that say the service's database or deployment is wrong, not the row it was writing:
 * 42 (a missing privilege, table, column or function: a migration or grant not applied), 0A (feature not
 * supported), 28 (invalid authorization), 3D and 3F (no such database or schema), 58 (system error) and
 * XX (internal error). Every event would fail the same way until someone fixes it.
 */
const SETUP_SQLSTATE_CLASSES = ['42', '0A', '28', '3D', '3F', '58', 'XX'];

/**
 * True when PostgreSQL refused for a reason that concerns the service's setup, not the data (see
 * SETUP_SQLSTATE_CLASSES), found on the error or on any error it wraps.
 */
export function isDatabaseSetupError(error: unknown): boolean {
  for (const code of codesOf(error))
    if (code.length === 5 && SETUP_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
  return false;
}
