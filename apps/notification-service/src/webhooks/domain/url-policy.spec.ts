// Proves the webhook URL policy: only globally routable unicast addresses count as public (loopback,
// private, link-local, unique-local, CGNAT, metadata and IPv4-embedding IPv6 forms do not); https is
// required unless local URLs are allowed; a host is judged by EVERY address it resolves to; and a URL
// with credentials or a fragment, or one that does not resolve, is refused with its own code.
import { checkWebhookUrl, isPublicAddress, type ResolveHost } from './url-policy';

const STRICT = { allowLocalUrls: false };
const LOCAL = { allowLocalUrls: true };
/** A stand-in for DNS: the addresses a host name "resolves" to here. */
const resolver =
  (table: Record<string, string[]>): ResolveHost =>
  async (host) => {
    const addresses = table[host];
    if (!addresses) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return addresses;
  };

describe('isPublicAddress', () => {
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])(
    'accepts the public address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback, elsewhere in 127/8', '127.42.0.1'],
    ['IPv6 loopback', '::1'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.20.0.5'],
    ['private 192.168/16', '192.168.1.1'],
    ['link-local (the cloud metadata service)', '169.254.169.254'],
    ['IPv6 link-local', 'fe80::1'],
    ['unique-local', 'fd00::1'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['unspecified', '0.0.0.0'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-compatible loopback (deprecated ::/96)', '::7f00:1'],
    ['IPv4-compatible private address', '::10.0.0.1'],
    ['6to4 of a private address', '2002:0a00:0001::1'],
    ['multicast', '224.0.0.1'],
    ['not an address', 'example.com'],
  ])('refuses %s (%s)', (_case, address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});

describe('checkWebhookUrl', () => {
  const dns = resolver({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'split.example.com': ['93.184.216.34', '10.0.0.7'],
    localhost: ['127.0.0.1', '::1'],
  });

  it('allows an https URL whose host resolves to public addresses only', async () => {
    await expect(checkWebhookUrl('https://hooks.example.com/oncepay?x=1', STRICT, dns)).resolves.toEqual({
      outcome: 'allowed',
      url: 'https://hooks.example.com/oncepay?x=1',
    });
  });

  it.each([
    ['http', 'http://hooks.example.com/x', 'WEBHOOK_URL_NOT_HTTPS'],
    ['a loopback name', 'https://localhost/x', 'WEBHOOK_URL_NOT_PUBLIC'],
    [
      'a name with one private address among public ones',
      'https://split.example.com/x',
      'WEBHOOK_URL_NOT_PUBLIC',
    ],
    ['a private address', 'https://10.0.0.1/x', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['the metadata address', 'https://169.254.169.254/latest', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['an IPv6 loopback', 'https://[::1]:8443/x', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['a unique-local address', 'https://[fd12:3456::1]/x', 'WEBHOOK_URL_NOT_PUBLIC'],
    ['a name that does not resolve', 'https://nowhere.invalid/x', 'WEBHOOK_URL_UNRESOLVABLE'],
    ['credentials', 'https://user:pw@hooks.example.com/x', 'WEBHOOK_URL_INVALID'],
    ['a fragment', 'https://hooks.example.com/x#y', 'WEBHOOK_URL_INVALID'],
    ['another scheme', 'ftp://hooks.example.com/x', 'WEBHOOK_URL_INVALID'],
    ['a relative URL', '/x', 'WEBHOOK_URL_INVALID'],
  ])('refuses %s in production', async (_case, url, code) => {
    await expect(checkWebhookUrl(url, STRICT, dns)).resolves.toMatchObject({ outcome: 'refused', code });
  });

  it('does not tell a client which internal address a name resolves to', async () => {
    await expect(checkWebhookUrl('https://split.example.com/x', STRICT, dns)).resolves.toEqual({
      outcome: 'refused',
      code: 'WEBHOOK_URL_NOT_PUBLIC',
      detail: 'split.example.com resolves to an address that is not public',
    });
  });

  it('allows http and loopback when local URLs are allowed, but still refuses a malformed URL', async () => {
    await expect(checkWebhookUrl('http://127.0.0.1:8080/x', LOCAL, dns)).resolves.toMatchObject({
      outcome: 'allowed',
    });
    await expect(checkWebhookUrl('http://localhost:8080/x', LOCAL, dns)).resolves.toMatchObject({
      outcome: 'allowed',
    });
    await expect(checkWebhookUrl('https://u:p@localhost/x', LOCAL, dns)).resolves.toMatchObject({
      code: 'WEBHOOK_URL_INVALID',
    });
  });
});
