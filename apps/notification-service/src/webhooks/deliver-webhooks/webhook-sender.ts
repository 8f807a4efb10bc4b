// Sends one signed webhook to one client endpoint over node:http(s), not fetch: node's `lookup` hook
// lets the connection use exactly the addresses that were checked, so a host that resolved to a public
// address at registration and to an internal one now (DNS rebinding) is refused when it connects,
// with no window between the check and the connection.
// - Bounded: the request is aborted after `timeoutMs`.
// - Redirects are not followed (a signed POST must not wander to another host): a 3xx is not delivered.
// - Classified like the global webhook channel: 2xx delivered; any other answer, or none, retriable.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { classifyHttpStatus } from '../../notifications/channels/webhook.channel';
import type { DeliveryResult } from '../../notifications/domain/notification-channel.port';
import { checkUrlForm, isPublicAddress, type UrlPolicy } from '../domain/url-policy';
import { signedHeaders } from '../domain/webhook-signing';

export interface WebhookSenderOptions extends UrlPolicy {
  timeoutMs: number;
  /** Clock for the signature timestamp; tests fix it. */
  now?: () => Date;
}

export interface WebhookMessage {
  url: string;
  /** The notification id: `webhook-id`, the same on every attempt and to every endpoint. */
  messageId: string;
  body: string;
  /** Every live secret of the endpoint, newest first. */
  secrets: readonly string[];
}

const ADDRESS_REFUSED = 'EWEBHOOK_ADDRESS_REFUSED';

export class WebhookSender {
  private readonly now: () => Date;

  constructor(private readonly options: WebhookSenderOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async send(message: WebhookMessage): Promise<DeliveryResult> {
    // The registration checked the URL; checked again because the policy may have been tightened since.
    const form = checkUrlForm(message.url, this.options);
    if (form.outcome === 'refused') {
      return { outcome: 'failed', retriable: false, error: `${form.code}: ${form.detail}` };
    }
    const url = new URL(form.url);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(message.body)),
      'user-agent': 'OncePay-Webhooks/1',
      'idempotency-key': message.messageId,
      ...signedHeaders(message.secrets, message.messageId, this.now(), message.body),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<DeliveryResult>((resolve) => {
      const request = send(
        url,
        {
          method: 'POST',
          headers,
          agent: false,
          signal: AbortSignal.timeout(this.options.timeoutMs),
          ...(this.options.allowLocalUrls ? {} : { lookup: publicAddressesOnly }),
        },
        (response) => {
          // The receiver's body means nothing to us; drop it without reading it into memory.
          response.destroy();
          resolve(classifyHttpStatus(response.statusCode ?? 0));
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        resolve(
          error.code === ADDRESS_REFUSED
            ? { outcome: 'failed', retriable: false, error: error.message }
            : {
                outcome: 'failed',
                retriable: true,
                error: describeRequestError(error, this.options.timeoutMs),
              },
        );
      });
      request.end(message.body);
    });
  }
}

/** node's lookup, refusing a host any of whose addresses is not public (see url-policy.ts). */
const publicAddressesOnly: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((entry) => !isPublicAddress(entry.address))) {
      // Recorded in the attempt log the client reads: it names no address (see url-policy.ts).
      const refused: NodeJS.ErrnoException = new Error(
        `WEBHOOK_URL_NOT_PUBLIC: ${hostname} resolves to an address that is not public, or to none`,
      );
      refused.code = ADDRESS_REFUSED;
      return callback(refused, '', 0);
    }
    if (options.all) return (callback as (e: null, all: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses as [LookupAddress];
    return callback(null, first.address, first.family);
  });
};

function describeRequestError(error: NodeJS.ErrnoException, timeoutMs: number): string {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return error.code === undefined ? String(error) : `${String(error)} (${error.code})`;
}
