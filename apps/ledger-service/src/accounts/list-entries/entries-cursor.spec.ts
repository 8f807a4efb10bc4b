// Proves the entries cursor round-trips any journal entry id and refuses every string it did not make,
// so a tampered or truncated cursor is a 400, never a query with a wrong bound.
import { decodeEntriesCursor, encodeEntriesCursor } from './entries-cursor';

describe('entries cursor', () => {
  it.each([1n, 42n, 9_007_199_254_740_993n, 2n ** 63n - 1n])('round-trips entry id %s', (id) => {
    const cursor = encodeEntriesCursor(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeEntriesCursor(cursor)).toBe(id);
  });

  const encoded = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

  it.each([
    ['an empty string', ''],
    ['characters outside base64url', 'abc+/='],
    ['a bare number', '42'],
    ['another version', encoded('e2:42')],
    ['a missing id', encoded('e1:')],
    ['a zero id', encoded('e1:0')],
    ['a negative id', encoded('e1:-5')],
    ['a leading zero', encoded('e1:042')],
    ['an id past 2^63-1', encoded('e1:9223372036854775808')],
    ['an extra field', encoded('e1:42:7')],
    ['a cursor longer than any it makes', 'A'.repeat(65)],
  ])('refuses %s', (_, cursor) => {
    expect(decodeEntriesCursor(cursor)).toBeNull();
  });
});
