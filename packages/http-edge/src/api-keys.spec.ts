// Proves API_KEYS parsing: each entry names a client, its role and its key (plain or as its SHA-256);
// a key listed twice, a client with two roles, an unknown role or a short key is a configuration
// error naming the entry; a minted key is long, random and authenticates through its entry; the
// published dev keys are recognised in either form.
import { apiKeyDigest, apiKeysSchema, DEV_API_CLIENTS, DEV_API_KEYS, mintApiKey } from './api-keys';

const problemsOf = (value: string) => {
  const result = apiKeysSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe('API_KEYS', () => {
  it('maps the digest of each key, plain or hashed, to its client and role', () => {
    const hashed = `sha256=${apiKeyDigest('a-key-of-acme-0001')}`;
    const keys = apiKeysSchema.parse(`ops:operator:a-key-of-ops-00001, acme:client:${hashed}`);

    expect(keys.byDigest.get(apiKeyDigest('a-key-of-ops-00001'))).toEqual({
      clientId: 'ops',
      role: 'operator',
    });
    expect(keys.byDigest.get(apiKeyDigest('a-key-of-acme-0001'))).toEqual({
      clientId: 'acme',
      role: 'client',
    });
    expect(keys.byDigest.size).toBe(2);
    expect(keys.devKeyClients).toEqual([]);
  });

  it('lets a client hold two keys, to rotate one', () => {
    const keys = apiKeysSchema.parse('acme:client:old-key-of-acme-0001,acme:client:new-key-of-acme-0002');
    expect([...keys.byDigest.values()]).toEqual([
      { clientId: 'acme', role: 'client' },
      { clientId: 'acme', role: 'client' },
    ]);
  });

  it.each([
    [
      'a key listed twice',
      'a:client:the-same-key-000001,b:client:the-same-key-000001',
      'entry 2: the key of b is already configured (for a)',
    ],
    [
      'a key listed twice, once hashed',
      `a:client:the-same-key-000001,b:operator:sha256=${apiKeyDigest('the-same-key-000001')}`,
      'entry 2: the key of b is already configured (for a)',
    ],
    [
      'a client with two roles',
      'a:client:key-number-one-0001,a:operator:key-number-two-0002',
      'entry 2: a is client in another entry; a client has one role',
    ],
    [
      'an unknown role',
      'a:admin:key-number-one-0001',
      'entry 1: the role must be one of operator, client, got "admin"',
    ],
    [
      'no role',
      'a:key-number-one-0001',
      'entry 1: must be clientId:role:key (the key plain, or sha256=<hex digest>)',
    ],
    [
      'a short key',
      'a:client:short',
      'entry 1: the key must be 16+ characters, or sha256= and 64 lower-case hex digits',
    ],
    [
      'a digest that is not one',
      'a:client:sha256=abc',
      'entry 1: the key must be 16+ characters, or sha256= and 64 lower-case hex digits',
    ],
    [
      'a client id with a space',
      'a b:client:key-number-one-0001',
      'entry 1: the client id must be 1 to 64 letters, digits, dots, dashes or underscores',
    ],
  ])('refuses %s, naming the entry', (_, value, message) => {
    expect(problemsOf(value)).toEqual([message]);
  });

  it('mints a key of 32 random bytes whose entry holds only its digest and authenticates it', () => {
    const { key, entry } = mintApiKey('acme', 'client');
    const again = mintApiKey('acme', 'client');

    expect(key).toMatch(/^opk_[A-Za-z0-9_-]{43}$/); // 32 bytes in base64url
    expect(again.key).not.toBe(key);
    expect(entry).toBe(`acme:client:sha256=${apiKeyDigest(key)}`);
    expect(entry).not.toContain(key);
    expect(apiKeysSchema.parse(entry).byDigest.get(apiKeyDigest(key))).toEqual({
      clientId: 'acme',
      role: 'client',
    });
    expect(() => mintApiKey('a b', 'client')).toThrow('client id "a b"');
  });

  it('recognises the published dev keys, plain or hashed', () => {
    expect(apiKeysSchema.parse(DEV_API_KEYS).devKeyClients).toEqual(['ops', 'demo-a', 'demo-b']);
    const hashed = `ops:operator:sha256=${apiKeyDigest(DEV_API_CLIENTS.ops.key)}`;
    expect(apiKeysSchema.parse(hashed).devKeyClients).toEqual(['ops']);
  });
});
