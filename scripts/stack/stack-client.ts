// A client of a running stack's public API, as the demo clients: the README's try-it calls (open
// accounts, transfers with idempotency keys, balances, notifications) for the compose smoke test, and
// `send` for whatever else the attack run tries.
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO } from './seed';

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface StackUrls {
  transfer: string;
  ledger: string;
  notification: string;
}

export type DemoClient = (typeof DEMO.clients)[keyof typeof DEMO.clients];

export interface TransferRequest {
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  currency: string;
  reference?: string;
}

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RATE_LIMITED_ATTEMPTS = 20;

export class StackClient {
  constructor(readonly urls: StackUrls) {}

  postTransfer(client: DemoClient, idempotencyKey: string, body: TransferRequest): Promise<Answer> {
    return this.call('POST', `${this.urls.transfer}/v1/transfers`, client, body, {
      'idempotency-key': idempotencyKey,
    });
  }

  getTransfer(client: DemoClient, id: string): Promise<Answer> {
    return this.call('GET', `${this.urls.transfer}/v1/transfers/${id}`, client);
  }

  openAccount(client: DemoClient, idempotencyKey: string, allowNegativeBalance: boolean): Promise<Answer> {
    return this.call(
      'POST',
      `${this.urls.ledger}/v1/accounts`,
      client,
      { currency: DEMO.currency, allowNegativeBalance },
      { 'idempotency-key': idempotencyKey },
    );
  }

  getAccount(client: DemoClient, id: string): Promise<Answer> {
    return this.call('GET', `${this.urls.ledger}/v1/accounts/${id}`, client);
  }

  /** The account's balance in minor units. */
  async balance(client: DemoClient, accountId: string): Promise<bigint> {
    const answer = await this.getAccount(client, accountId);
    if (answer.status !== 200) throw new Error(`GET account ${accountId}: ${answer.status}`);
    return BigInt(String(answer.body.balance));
  }

  /** How many notifications the notification-service holds for one transfer. */
  async notificationCount(client: DemoClient, transferId: string): Promise<number> {
    const url = `${this.urls.notification}/v1/notifications?transferId=${transferId}`;
    const answer = await this.call('GET', url, client);
    if (answer.status !== 200) throw new Error(`GET notifications: ${answer.status}`);
    return (answer.body.data as unknown[]).length;
  }

  async health(url: string): Promise<number> {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return response.status;
  }

  /** As a well-behaved client: over the stack's rate limit (429), it waits Retry-After and sends again. */
  private async call(
    method: string,
    url: string,
    client: DemoClient,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.send(method, url, client, body, headers);
      if (answer.status !== 429 || attempt === MAX_RATE_LIMITED_ATTEMPTS) return answer;
      await sleep(Number(answer.headers.get('retry-after') ?? '1') * 1_000);
    }
  }

  /** One request exactly as given: no retry, whatever the answer. */
  async send(
    method: string,
    url: string,
    client: DemoClient,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${client.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
  }
}
