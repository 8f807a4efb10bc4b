// Proves the signing matches the Standard Webhooks spec as its own library verifies it: one `v1,`
// signature per live secret, each verifying alone, none verifying with another secret or a changed body.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { newEndpointSecret, signedHeaders } from './webhook-signing';

const body = JSON.stringify({
  id: 'n-1',
  type: 'transfer.completed',
  data: { amount: '9223372036854775807' },
});

describe('signedHeaders', () => {
  it('signs once per secret, and each secret verifies on its own', () => {
    const [current, previous, stranger] = [newEndpointSecret(), newEndpointSecret(), newEndpointSecret()];
    const headers = signedHeaders([current, previous], 'n-1', new Date(), body);
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(current).verify(body.replace('9', '8'), headers)).toThrow(
      WebhookVerificationError,
    );
  });

  it('refuses to sign with no secret, rather than send an unsigned webhook', () => {
    expect(() => signedHeaders([], 'n-1', new Date(), body)).toThrow(/no live secret/);
  });

  it('makes distinct 32-byte secrets in the whsec_ format', () => {
    const secret = newEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newEndpointSecret()).not.toBe(secret);
  });
});
