// Which URLs a client's webhook endpoint may have. Webhooks make the service send requests where a
// client says, so without this rule any client could make it call the cloud metadata service, the
// database or an admin port on the internal network (server-side request forgery). Pure but for the
// resolver it is given: the registration checks every address the host resolves to now, and the
// sender checks the addresses again when it connects (webhook-sender.ts), against DNS rebinding.
import ipaddr from 'ipaddr.js';

export const MAX_WEBHOOK_URL_LENGTH = 2_048;

/**
 * `allowLocalUrls`: http:// and any address (tests, a local stack); refused with NODE_ENV=production by
 * the service's configuration. Otherwise https:// only, and every address public.
 */
export interface UrlPolicy {
  allowLocalUrls: boolean;
}

/** Every address `hostname` resolves to (A and AAAA); throws when it does not resolve. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export type UrlRefusal =
  'WEBHOOK_URL_INVALID' | 'WEBHOOK_URL_NOT_HTTPS' | 'WEBHOOK_URL_NOT_PUBLIC' | 'WEBHOOK_URL_UNRESOLVABLE';

export type UrlCheck =
  { outcome: 'allowed'; url: string } | { outcome: 'refused'; code: UrlRefusal; detail: string };

/**
 * True for a globally routable unicast address only: loopback, private (RFC 1918), link-local (and so
 * 169.254.169.254), unique-local (fc00::/7), carrier-grade NAT, multicast, reserved and the IPv6 forms
 * that embed an IPv4 address (mapped, 6to4, Teredo) are all refused. ipaddr.js classifies; an
 * IPv4-mapped IPv6 address is judged as the IPv4 address it is.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  // ipaddr.js calls the deprecated IPv4-compatible form (::a.b.c.d, ::/96, RFC 4291 2.5.5.1) unicast;
  // it embeds an IPv4 address like the mapped form, so it is refused like the other embeddings.
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return false;
  return parsed.range() === 'unicast';
}

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** The host of a URL as an address or a name: `[::1]` is the address `::1`. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Checks what needs no network: the URL's form, its scheme, and its host when that is an address. */
export function checkUrlForm(raw: string, policy: UrlPolicy): UrlCheck & { host?: string } {
  const refused = (code: UrlRefusal, detail: string) => ({ outcome: 'refused' as const, code, detail });
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return refused('WEBHOOK_URL_INVALID', `a URL of at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refused('WEBHOOK_URL_INVALID', 'not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refused('WEBHOOK_URL_INVALID', 'an http(s) URL is required');
  }
  // Credentials in the URL would be stored and shown back in every listing.
  if (url.username !== '' || url.password !== '') {
    return refused('WEBHOOK_URL_INVALID', 'a URL must not carry a user name or password');
  }
  if (url.hash !== '') return refused('WEBHOOK_URL_INVALID', 'a URL must not have a fragment');
  if (policy.allowLocalUrls) return { outcome: 'allowed', url: url.href };
  if (url.protocol !== 'https:')
    return refused('WEBHOOK_URL_NOT_HTTPS', 'webhook endpoints must be https://');
  const host = hostOf(url);
  if (ipaddr.isValid(host) && !isPublicAddress(host)) {
    return refused('WEBHOOK_URL_NOT_PUBLIC', `${host} is not a public address`);
  }
  return { outcome: 'allowed', url: url.href, host };
}

/** The whole check at registration: the form, then every address the host resolves to. */
export async function checkWebhookUrl(
  raw: string,
  policy: UrlPolicy,
  resolve: ResolveHost,
): Promise<UrlCheck> {
  const form = checkUrlForm(raw, policy);
  if (form.outcome === 'refused' || form.host === undefined || ipaddr.isValid(form.host)) {
    return form.outcome === 'refused' ? form : { outcome: 'allowed', url: form.url };
  }
  let addresses: string[];
  try {
    addresses = await resolve(form.host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) {
    return { outcome: 'refused', code: 'WEBHOOK_URL_UNRESOLVABLE', detail: `${form.host} does not resolve` };
  }
  // The detail does not name the address: a client must not learn the internal network's addresses
  // by registering names of it (`postgres`, `kafka`).
  if (addresses.some((address) => !isPublicAddress(address))) {
    return {
      outcome: 'refused',
      code: 'WEBHOOK_URL_NOT_PUBLIC',
      detail: `${form.host} resolves to an address that is not public`,
    };
  }
  return { outcome: 'allowed', url: form.url };
}
