// A client of a running stack's public API, as the demo clients: the README's try-it calls (open
// accounts, transfers with idempotency keys, balances, notifications) for the compose smoke test, made
// with the typed @oncepay/client, and `send` for whatever else the attack run tries.
import {
  createLedgerClient,
  createNotificationClient,
  createTransferClient,
  type LedgerClient,
  type NotificationClient,
  type RequestTransfer,
  type TransferClient,
} from '@oncepay/client';
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

export type TransferRequest = RequestTransfer;

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RATE_LIMITED_ATTEMPTS = 20;

/** The typed clients of the three services for one API key. */
interface ServiceClients {
  transfer: TransferClient;
  ledger: LedgerClient;
  notification: NotificationClient;
}

/** What an openapi-fetch call resolves to: the typed data or problem, and the response. */
interface TypedAnswer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export class StackClient {
  private readonly clients = new Map<string, ServiceClients>();

  constructor(readonly urls: StackUrls) {}

  postTransfer(client: DemoClient, idempotencyKey: string, body: TransferRequest): Promise<Answer> {
    return this.call(() =>
      this.clientsOf(client).transfer.POST('/v1/transfers', {
        params: { header: { 'Idempotency-Key': idempotencyKey } },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
  }

  getTransfer(client: DemoClient, id: string): Promise<Answer> {
    return this.call(() =>
      this.clientsOf(client).transfer.GET('/v1/transfers/{id}', {
        params: { path: { id } },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
  }

  openAccount(client: DemoClient, idempotencyKey: string, allowNegativeBalance: boolean): Promise<Answer> {
    return this.call(() =>
      this.clientsOf(client).ledger.POST('/v1/accounts', {
        params: { header: { 'Idempotency-Key': idempotencyKey } },
        body: { currency: DEMO.currency, allowNegativeBalance },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
  }

  getAccount(client: DemoClient, id: string): Promise<Answer> {
    return this.call(() => this.fetchAccount(client, id));
  }

  /** The account's balance in minor units. */
  async balance(client: DemoClient, accountId: string): Promise<bigint> {
    const { data, response } = await this.rateLimited(() => this.fetchAccount(client, accountId));
    if (!data) throw new Error(`GET account ${accountId}: ${response.status}`);
    return BigInt(data.balance);
  }

  /** How many notifications the notification-service holds for one transfer. */
  async notificationCount(client: DemoClient, transferId: string): Promise<number> {
    const { data, response } = await this.rateLimited(() =>
      this.clientsOf(client).notification.GET('/v1/notifications', {
        params: { query: { transferId } },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
    if (!data) throw new Error(`GET notifications: ${response.status}`);
    return data.data.length;
  }

  async health(url: string): Promise<number> {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return response.status;
  }

  private fetchAccount(client: DemoClient, id: string) {
    return this.clientsOf(client).ledger.GET('/v1/accounts/{id}', {
      params: { path: { id } },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  private clientsOf({ apiKey }: DemoClient): ServiceClients {
    let clients = this.clients.get(apiKey);
    if (!clients) {
      clients = {
        transfer: createTransferClient(this.urls.transfer, { apiKey }),
        ledger: createLedgerClient(this.urls.ledger, { apiKey }),
        notification: createNotificationClient(this.urls.notification, { apiKey }),
      };
      this.clients.set(apiKey, clients);
    }
    return clients;
  }

  /** A typed call's answer as the smoke test and the attack run read it, sent as `rateLimited` sends it. */
  private async call(request: () => Promise<TypedAnswer>): Promise<Answer> {
    const { data, error, response } = await this.rateLimited(request);
    const body = data ?? error;
    return {
      status: response.status,
      headers: response.headers,
      body: typeof body === 'object' && body !== null ? { ...body } : {},
    };
  }

  /**
   * As a well-behaved client: over the stack's rate limit (429), it waits Retry-After and sends again.
   * Every typed call goes through here: the smoke test polls, and a stack under test is rate limited.
   */
  private async rateLimited<T extends TypedAnswer>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const answer = await request();
      if (answer.response.status !== 429 || attempt === MAX_RATE_LIMITED_ATTEMPTS) return answer;
      await sleep(Number(answer.response.headers.get('retry-after') ?? '1') * 1_000);
    }
  }

  /**
   * One request exactly as given, outside the typed API: no retry, whatever the answer. For the attack
   * run's malformed and hostile requests, which no typed call can express.
   */
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
