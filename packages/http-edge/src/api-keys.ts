// API keys as configuration holds them: each entry names a client, its role and its key, given either
// as the key itself (a dev stack) or as the key's SHA-256 (anywhere else, so the configuration does not
// hold a usable secret). The guard compares digests, so both forms work the same at runtime.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * `operator`: may open accounts allowed to go negative (treasury, settlement), the only way money enters.
 * `client`: an ordinary tenant; everything it does is scoped to its own accounts.
 */
export const ROLES = ['operator', 'client'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiClient {
  clientId: string;
  role: Role;
}

/**
 * The clients the dev stack and the README publish, keys included: the operator `ops`, who owns the
 * treasury, and two demo clients. Their keys are refused with NODE_ENV=production unless allowed.
 */
export const DEV_API_CLIENTS = {
  ops: { clientId: 'ops', role: 'operator', key: 'oncepay-dev-key-ops' },
  demoA: { clientId: 'demo-a', role: 'client', key: 'oncepay-dev-key-a' },
  demoB: { clientId: 'demo-b', role: 'client', key: 'oncepay-dev-key-b' },
} as const satisfies Record<string, ApiClient & { key: string }>;

/** API_KEYS of a dev stack: the published clients. */
export const DEV_API_KEYS = Object.values(DEV_API_CLIENTS)
  .map(({ clientId, role, key }) => `${clientId}:${role}:${key}`)
  .join(',');

/** The configured keys: sha256(key) in hex -> the client it belongs to. */
export interface ApiKeys {
  byDigest: ReadonlyMap<string, ApiClient>;
  /** Clients whose configured key is one of DEV_API_KEYS. */
  devKeyClients: string[];
}

const MIN_PLAIN_KEY_LENGTH = 16;
const HASHED = /^sha256=([0-9a-f]{64})$/;
const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const CLIENT_ID_RULE = '1 to 64 letters, digits, dots, dashes or underscores';
const DEV_KEY_DIGESTS = new Set(Object.values(DEV_API_CLIENTS).map(({ key }) => apiKeyDigest(key)));

export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The client of `Authorization: Bearer <key>`, or undefined for no header, another scheme or an unknown
 * key. Digests are compared in constant time, each against every configured one.
 */
export function findApiClient(keys: ApiKeys, authorization: string | undefined): ApiClient | undefined {
  // An auth scheme's name is case-insensitive (RFC 9110, 11.1): `bearer` and `BEARER` are Bearer too.
  const presented = /^Bearer +(\S+)$/i.exec(authorization ?? '')?.[1];
  if (presented === undefined) return undefined;
  const digest = Buffer.from(apiKeyDigest(presented), 'hex');
  let found: ApiClient | undefined;
  for (const [keyDigest, client] of keys.byDigest)
    if (timingSafeEqual(digest, Buffer.from(keyDigest, 'hex'))) found = client;
  return found;
}

/** A new key of 32 random bytes and the API_KEYS entry that holds only its digest. */
export function mintApiKey(clientId: string, role: Role): { key: string; entry: string } {
  if (!CLIENT_ID.test(clientId)) throw new Error(`client id ${JSON.stringify(clientId)}: ${CLIENT_ID_RULE}`);
  const key = `opk_${randomBytes(32).toString('base64url')}`;
  return { key, entry: `${clientId}:${role}:sha256=${apiKeyDigest(key)}` };
}

/**
 * `API_KEYS`: comma-separated `clientId:role:key` entries, the key either plain (16+ characters) or
 * `sha256=<64 hex digits>`, e.g. `ops:operator:oncepay-dev-key-ops,acme:client:sha256=9f86d0…`.
 * A client may hold several keys (to rotate one), always with the same role; a key listed twice is an
 * error, not a silent choice of one client.
 */
export const apiKeysSchema = z
  .string()
  .min(1)
  .transform((value, ctx): ApiKeys => {
    const byDigest = new Map<string, ApiClient>();
    const roleOf = new Map<string, Role>();
    const devKeyClients: string[] = [];
    const problem = (index: number, message: string) =>
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: ${message}` });
    for (const [index, entry] of value.split(',').entries()) {
      const [clientId = '', role = '', credential = '', ...rest] = entry.trim().split(':');
      if (rest.length > 0 || !credential) {
        problem(index, 'must be clientId:role:key (the key plain, or sha256=<hex digest>)');
        continue;
      }
      if (!CLIENT_ID.test(clientId)) {
        problem(index, `the client id must be ${CLIENT_ID_RULE}`);
        continue;
      }
      if (!(ROLES as readonly string[]).includes(role)) {
        problem(index, `the role must be one of ${ROLES.join(', ')}, got "${role}"`);
        continue;
      }
      const digest =
        HASHED.exec(credential)?.[1] ?? (credential.startsWith('sha256=') ? undefined : plain(credential));
      if (!digest) {
        problem(
          index,
          `the key must be ${MIN_PLAIN_KEY_LENGTH}+ characters, or sha256= and 64 lower-case hex digits`,
        );
        continue;
      }
      if (byDigest.has(digest)) {
        problem(
          index,
          `the key of ${clientId} is already configured (for ${byDigest.get(digest)?.clientId})`,
        );
        continue;
      }
      const knownRole = roleOf.get(clientId);
      if (knownRole && knownRole !== role) {
        problem(index, `${clientId} is ${knownRole} in another entry; a client has one role`);
        continue;
      }
      roleOf.set(clientId, role as Role);
      byDigest.set(digest, { clientId, role: role as Role });
      if (DEV_KEY_DIGESTS.has(digest)) devKeyClients.push(clientId);
    }
    return { byDigest, devKeyClients };
  });

function plain(key: string): string | undefined {
  return key.length >= MIN_PLAIN_KEY_LENGTH ? apiKeyDigest(key) : undefined;
}
