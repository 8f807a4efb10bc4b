// What makes two HTTP requests "the same request" for an idempotency key: a hash of the method, the
// path and the body in a canonical JSON form, so `{"a":1,"b":2}` and `{"b":2,"a":1}` match.
import { createHash } from 'node:crypto';

/** Deeper than any request body OncePay accepts; the bound keeps a hostile body from exhausting the stack. */
const MAX_DEPTH = 32;

/** sha256 hex (64 characters) of the canonical request. */
export function fingerprintRequest(parts: { method: string; path: string; body: unknown }): string {
  const canonical = canonicalJson({ method: parts.method.toUpperCase(), path: parts.path, body: parts.body });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * JSON with object keys sorted at every level and no whitespace. Follows JSON.stringify for what it
 * drops (`undefined` members) or nulls (`undefined` array items, non-finite numbers); values JSON
 * cannot carry (bigint, functions, symbols) throw, since a parsed request body never holds them.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new RangeError(`JSON nested deeper than ${MAX_DEPTH} levels`);
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item, depth + 1))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member, depth + 1)}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`cannot fingerprint a ${typeof value}`);
}
