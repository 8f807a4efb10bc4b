// The OncePay-Signature header, in the style of Stripe's: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
// Signing the timestamp with the body lets a receiver refuse replays older than its tolerance, and the
// `v1` scheme name leaves room to rotate to another algorithm without breaking receivers.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'OncePay-Signature';

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${hmacHex(secret, timestampSeconds, body)}`;
}

/**
 * `valid`, or why not. What a receiver runs (tests use it too): recompute the HMAC over the raw body
 * and compare in constant time, then check the timestamp is recent.
 */
export type SignatureCheck = 'valid' | 'malformed' | 'mismatch' | 'expired';

export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  { nowSeconds, toleranceSeconds }: { nowSeconds: number; toleranceSeconds: number },
): SignatureCheck {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (!match?.[1] || !match[2]) return 'malformed';
  const timestampSeconds = Number(match[1]);
  const expected = Buffer.from(hmacHex(secret, timestampSeconds, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(match[2], 'hex'))) return 'mismatch';
  return Math.abs(nowSeconds - timestampSeconds) > toleranceSeconds ? 'expired' : 'valid';
}

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}
