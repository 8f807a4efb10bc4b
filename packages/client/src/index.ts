// Typed clients of the three services' HTTP APIs (ADR 0012): openapi-fetch clients whose paths,
// parameters, bodies and answers are the types openapi-typescript generated from the OpenAPI document
// each service serves at /docs. When a service's API changes, `npm run typecheck` regenerates the types,
// and a caller that does not follow fails to compile. The client only sends and types: it retries
// nothing, so a caller decides what a retry is (with the same Idempotency-Key, it is safe).
import createClient, { type Client } from 'openapi-fetch';
import type { components as LedgerComponents, paths as LedgerPaths } from './generated/ledger';
import type {
  components as NotificationComponents,
  paths as NotificationPaths,
} from './generated/notification';
import type { components as TransferComponents, paths as TransferPaths } from './generated/transfer';

export type { LedgerComponents, LedgerPaths, NotificationComponents, NotificationPaths };
export type { TransferComponents, TransferPaths };

export interface ServiceClientOptions {
  /** The calling client's API key, sent on every request as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Sends each request; the global fetch by default. The benchmark passes undici's over a bounded pool. */
  fetch?: (request: Request) => Promise<Response>;
  /** The Request class `fetch` accepts, when it is not the global one (undici's fetch wants undici's). */
  Request?: typeof Request;
}

export type TransferClient = Client<TransferPaths>;
export type LedgerClient = Client<LedgerPaths>;
export type NotificationClient = Client<NotificationPaths>;

/** POST /v1/transfers and the steps of a hold or a refund, GET /v1/transfers... of the transfer-service. */
export function createTransferClient(baseUrl: string, options: ServiceClientOptions): TransferClient {
  return createClient<TransferPaths>(clientOptions(baseUrl, options));
}

/** Accounts, balances and entries of the ledger-service. */
export function createLedgerClient(baseUrl: string, options: ServiceClientOptions): LedgerClient {
  return createClient<LedgerPaths>(clientOptions(baseUrl, options));
}

/** Notifications and webhook endpoints of the notification-service. */
export function createNotificationClient(baseUrl: string, options: ServiceClientOptions): NotificationClient {
  return createClient<NotificationPaths>(clientOptions(baseUrl, options));
}

function clientOptions(baseUrl: string, { apiKey, fetch, Request }: ServiceClientOptions) {
  return {
    baseUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    ...(fetch ? { fetch } : {}),
    ...(Request ? { Request } : {}),
  };
}

// The resources, as the services document them: amounts are strings of minor units, never numbers.
export type Transfer = TransferComponents['schemas']['Transfer'];
export type RequestTransfer = TransferComponents['schemas']['RequestTransfer'];
export type Account = LedgerComponents['schemas']['Account'];
export type Notification = NotificationComponents['schemas']['Notification'];
export type Problem = TransferComponents['schemas']['Problem'];
