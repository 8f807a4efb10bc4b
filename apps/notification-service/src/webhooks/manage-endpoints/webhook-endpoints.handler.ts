// Use cases of a client's webhook endpoints: register (URL policy, then the endpoint and its first
// secret in one transaction), list, read, disable, rotate the secret. Scoped to the client in every
// statement: another client's endpoint is invisible, exactly as if it did not exist (404).
// node-postgres, not Prisma: the rotation must lock the endpoint's row (FOR UPDATE) so two racing
// rotations cannot both leave a current secret.
import { newId } from '@oncepay/contracts';
import type { SqlExecutor } from '@oncepay/sql';
import type { WebhookEventType } from '../../notifications/domain/webhook-event-type';
import { WEBHOOK_EVENT_TYPES } from '../../notifications/domain/webhook-event-type';
import { encodeCursor } from '../../notifications/list-notifications/list-notifications.query';
import { checkWebhookUrl, type ResolveHost, type UrlPolicy, type UrlRefusal } from '../domain/url-policy';
import { newEndpointSecret } from '../domain/webhook-signing';
import {
  DEFAULT_OVERLAP_SECONDS,
  type PageQuery,
  type RegisteredWebhookEndpoint,
  type RegisterEndpointRequest,
  type RotatedWebhookSecret,
  type RotateSecretRequest,
  type WebhookEndpointPage,
  type WebhookEndpointView,
} from './webhook-endpoint.requests';

/** Enabled endpoints per client: each one costs a request per event, so their number is bounded. */
export const MAX_ENABLED_ENDPOINTS_PER_CLIENT = 16;

export type RegisterResult =
  | { outcome: 'registered'; endpoint: RegisteredWebhookEndpoint }
  | { outcome: 'url_refused'; code: UrlRefusal; detail: string }
  | { outcome: 'too_many_endpoints' };

export type RotateResult =
  | { outcome: 'rotated'; rotation: RotatedWebhookSecret }
  | { outcome: 'not_found' }
  | { outcome: 'endpoint_disabled' };

export interface WebhookEndpointsDatabase {
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  query: SqlExecutor['query'];
}

interface EndpointRow {
  id: string;
  url: string;
  event_types: string[];
  enabled: boolean;
  created_at: Date;
  disabled_at: Date | null;
}

const ENDPOINT_COLUMNS = `id::text AS id, url, event_types, enabled, created_at, disabled_at`;

export class WebhookEndpointsHandler {
  constructor(
    private readonly db: WebhookEndpointsDatabase,
    private readonly urlPolicy: UrlPolicy,
    private readonly resolve: ResolveHost,
  ) {}

  async register(clientId: string, request: RegisterEndpointRequest): Promise<RegisterResult> {
    const check = await checkWebhookUrl(request.url, this.urlPolicy, this.resolve);
    if (check.outcome === 'refused')
      return { outcome: 'url_refused', code: check.code, detail: check.detail };
    const events = request.events ?? [...WEBHOOK_EVENT_TYPES];
    const secret = newEndpointSecret();
    return this.db.transaction(async (tx) => {
      // Serializes one client's registrations, so the count below cannot be passed by a racing one.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('webhook-endpoints:' || $1))`, clientId);
      const [count] = await tx.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM webhook_endpoints WHERE client_id = $1 AND enabled`,
        clientId,
      );
      if ((count?.n ?? 0) >= MAX_ENABLED_ENDPOINTS_PER_CLIENT)
        return { outcome: 'too_many_endpoints' as const };
      const [row] = await tx.query<EndpointRow[]>(
        `INSERT INTO webhook_endpoints (id, client_id, url, event_types) VALUES ($1::uuid, $2, $3, $4::text[])
         RETURNING ${ENDPOINT_COLUMNS}`,
        newId(),
        clientId,
        check.url,
        events,
      );
      if (!row) throw new Error('INSERT ... RETURNING returned no endpoint');
      await tx.query(
        `INSERT INTO webhook_secrets (endpoint_id, secret) VALUES ($1::uuid, $2)`,
        row.id,
        secret,
      );
      return { outcome: 'registered' as const, endpoint: { ...viewOf(row), secret } };
    });
  }

  /** The client's endpoints, newest first, a page at a time; disabled ones included. */
  async list(clientId: string, query: PageQuery): Promise<WebhookEndpointPage> {
    const rows = await this.db.query<EndpointRow[]>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
        WHERE client_id = $1
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4::int`,
      clientId,
      query.cursor?.createdAt.toISOString() ?? null,
      query.cursor?.id ?? null,
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      data: page.map(viewOf),
      nextCursor:
        rows.length > query.limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
    };
  }

  async get(clientId: string, endpointId: string): Promise<WebhookEndpointView | null> {
    const [row] = await this.db.query<EndpointRow[]>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1::uuid AND client_id = $2`,
      endpointId,
      clientId,
    );
    return row ? viewOf(row) : null;
  }

  /**
   * Disables the endpoint (idempotent: a disabled one is returned as it is). Its pending deliveries are
   * given up by the dispatcher when it reaches them; nothing new is recorded for it.
   */
  async disable(clientId: string, endpointId: string): Promise<WebhookEndpointView | null> {
    const [row] = await this.db.query<EndpointRow[]>(
      `UPDATE webhook_endpoints
          SET enabled = false, disabled_at = COALESCE(disabled_at, now())
        WHERE id = $1::uuid AND client_id = $2
    RETURNING ${ENDPOINT_COLUMNS}`,
      endpointId,
      clientId,
    );
    return row ? viewOf(row) : null;
  }

  /**
   * A new current secret; every older live secret keeps signing until `overlapSeconds` from now (or its
   * own earlier end), so receivers verify throughout the switch. Under the endpoint's row lock.
   */
  async rotate(clientId: string, endpointId: string, request: RotateSecretRequest): Promise<RotateResult> {
    const overlapSeconds = request.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
    const secret = newEndpointSecret();
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<EndpointRow[]>(
        `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1::uuid AND client_id = $2 FOR UPDATE`,
        endpointId,
        clientId,
      );
      if (!row) return { outcome: 'not_found' as const };
      if (!row.enabled) return { outcome: 'endpoint_disabled' as const };
      const [overlap] = await tx.query<{ ends_at: Date }[]>(
        `SELECT now() + ($1::int * interval '1 second') AS ends_at`,
        overlapSeconds,
      );
      if (!overlap) throw new Error('SELECT now() returned no row');
      await tx.query(
        `UPDATE webhook_secrets SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), $2::timestamptz)
          WHERE endpoint_id = $1::uuid AND (expires_at IS NULL OR expires_at > now())`,
        endpointId,
        overlap.ends_at.toISOString(),
      );
      await tx.query(
        `INSERT INTO webhook_secrets (endpoint_id, secret) VALUES ($1::uuid, $2)`,
        endpointId,
        secret,
      );
      return {
        outcome: 'rotated' as const,
        rotation: { endpoint: viewOf(row), secret, previousSecretsExpireAt: overlap.ends_at.toISOString() },
      };
    });
  }
}

function viewOf(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    events: row.event_types as WebhookEventType[],
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    disabledAt: row.disabled_at?.toISOString() ?? null,
  };
}
