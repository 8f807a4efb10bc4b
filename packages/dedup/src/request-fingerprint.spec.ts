// Proves a request fingerprint depends on what the request means (method, path, body values) and not
// on how its JSON happens to be written (key order, method case), and that odd inputs fail loudly.
import fc from 'fast-check';
import { canonicalJson, fingerprintRequest } from './request-fingerprint';

/** The same JSON value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a `__proto__` key stays a key.
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

const transfer = {
  fromAccountId: 'acc-1',
  toAccountId: 'acc-2',
  amount: '1000',
  currency: 'EUR',
  meta: { b: 1, a: [1, { d: 2, c: 3 }] },
};

describe('fingerprintRequest', () => {
  it('is a sha256 hex digest', () => {
    expect(fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: transfer })).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });

  it('ignores the order of object keys at every level', () => {
    const a = fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: transfer });
    const b = fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: reverseKeys(transfer) });
    expect(b).toBe(a);
  });

  it('ignores the case of the method', () => {
    expect(fingerprintRequest({ method: 'post', path: '/p', body: {} })).toBe(
      fingerprintRequest({ method: 'POST', path: '/p', body: {} }),
    );
  });

  it('treats an undefined member like an absent one, as JSON does', () => {
    expect(fingerprintRequest({ method: 'POST', path: '/p', body: { a: 1, b: undefined } })).toBe(
      fingerprintRequest({ method: 'POST', path: '/p', body: { a: 1 } }),
    );
  });

  it.each([
    ['another amount', { ...transfer, amount: '1001' }],
    ['a number instead of a string', { ...transfer, amount: 1000 }],
    ['a missing field', { ...transfer, currency: undefined }],
    ['reordered array items', { ...transfer, meta: { b: 1, a: [{ d: 2, c: 3 }, 1] } }],
  ])('changes with %s', (_name, body) => {
    const original = fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: transfer });
    expect(fingerprintRequest({ method: 'POST', path: '/v1/transfers', body })).not.toBe(original);
  });

  it('changes with the method or the path', () => {
    const original = fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: transfer });
    expect(fingerprintRequest({ method: 'PUT', path: '/v1/transfers', body: transfer })).not.toBe(original);
    expect(fingerprintRequest({ method: 'POST', path: '/v1/accounts', body: transfer })).not.toBe(original);
  });

  it('holds for any JSON value: key order never matters and the canonical form means the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(canonicalJson(reverseKeys(value))).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('refuses values JSON cannot carry and bodies nested beyond the bound', () => {
    expect(() => fingerprintRequest({ method: 'POST', path: '/p', body: { amount: 10n } })).toThrow(
      TypeError,
    );
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() => fingerprintRequest({ method: 'POST', path: '/p', body: deep })).toThrow(RangeError);
  });
});
