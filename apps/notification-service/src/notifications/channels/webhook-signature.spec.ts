// Proves the OncePay-Signature header verifies with the right secret and body only, rejects stale
// timestamps, and that HTTP statuses are classified into delivered and retriable failures.
import { classifyHttpStatus } from './webhook.channel';
import { signWebhook, verifyWebhookSignature } from './webhook-signature';

const secret = 'whsec-test-secret-0123456789';
const body = JSON.stringify({ id: 'n-1', amount: '1250' });
const tolerance = { nowSeconds: 1_800_000_000, toleranceSeconds: 300 };

describe('webhook signature', () => {
  it('has the t=<unix>,v1=<hex> shape and verifies', () => {
    const header = signWebhook(secret, 1_800_000_000, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, tolerance)).toBe('valid');
  });

  it('rejects another secret, a changed body, a stale timestamp and garbage', () => {
    const header = signWebhook(secret, 1_800_000_000, body);
    expect(verifyWebhookSignature('another-secret-0123456789', header, body, tolerance)).toBe('mismatch');
    expect(verifyWebhookSignature(secret, header, body.replace('1250', '9999'), tolerance)).toBe('mismatch');
    const stale = signWebhook(secret, 1_800_000_000 - 301, body);
    expect(verifyWebhookSignature(secret, stale, body, tolerance)).toBe('expired');
    expect(verifyWebhookSignature(secret, 'v1=abc', body, tolerance)).toBe('malformed');
  });
});

describe('classifyHttpStatus', () => {
  it.each([200, 202, 204])('%i is delivered', (status) => {
    expect(classifyHttpStatus(status)).toEqual({ outcome: 'delivered', responseStatus: status });
  });

  it.each([301, 400, 401, 403, 404, 408, 410, 422, 429, 500, 502, 503, 504])(
    '%i is a retriable failure',
    (status) => {
      expect(classifyHttpStatus(status)).toEqual({
        outcome: 'failed',
        retriable: true,
        error: `receiver answered HTTP ${status}`,
        responseStatus: status,
      });
    },
  );
});
