// Standard Webhooks signing (the scheme of Svix, https://www.standardwebhooks.com): `webhook-id`,
// `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
// one `v1,` entry per live secret separated by spaces, so a receiver that holds either the old or the
// new secret during a rotation's overlap verifies. The `standardwebhooks` package (the spec's own
// TypeScript library, also under the `svix` SDK) computes each signature, and receivers verify with it.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (the spec's format, 256 bits of key). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three Standard Webhooks headers for one attempt, signed with every secret in `secrets`. */
export function signedHeaders(
  secrets: readonly string[],
  messageId: string,
  at: Date,
  body: string,
): Record<string, string> {
  if (secrets.length === 0) throw new Error(`no live secret to sign message ${messageId} with`);
  return {
    [WEBHOOK_ID_HEADER]: messageId,
    [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(at.getTime() / 1000)),
    [WEBHOOK_SIGNATURE_HEADER]: secrets
      .map((secret) => new Webhook(secret).sign(messageId, at, body))
      .join(' '),
  };
}
