// Authentication for the public APIs: `Authorization: Bearer <api key>`, each key belonging to one
// client with one role (api-keys.ts). Handlers receive the client id and scope everything (accounts,
// transfers, idempotency keys) to it; the role decides what the client may do beyond that.
import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { apiKeyDigest, type ApiClient, type ApiKeys, type Role } from './api-keys';
import { ProblemException } from './problem-details';

/** The part of a request the guard reads and writes, whatever the HTTP framework. */
type AuthenticatedRequest = { headers: IncomingHttpHeaders; client?: ApiClient };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** sha256(api key) -> client: comparing digests keeps the comparison constant-time. */
  private readonly clientsByKeyDigest: ReadonlyMap<string, ApiClient>;

  constructor(config: ConfigService) {
    this.clientsByKeyDigest = config.getOrThrow<ApiKeys>('API_KEYS').byDigest;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const client = presented === undefined ? undefined : this.findClient(apiKeyDigest(presented));
    if (!client) {
      throw new ProblemException(
        401,
        'UNAUTHORIZED',
        'A valid API key is required',
        'Send Authorization: Bearer <api key>.',
      );
    }
    request.client = client;
    return true;
  }

  private findClient(presentedDigest: string): ApiClient | undefined {
    const presented = Buffer.from(presentedDigest, 'hex');
    for (const [keyDigest, client] of this.clientsByKeyDigest) {
      if (timingSafeEqual(presented, Buffer.from(keyDigest, 'hex'))) return client;
    }
    return undefined;
  }
}

/** The authenticated client's id; use on handlers guarded by ApiKeyGuard. */
export const ClientId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => authenticatedClient(context).clientId,
);

/** The authenticated client's role; use on handlers guarded by ApiKeyGuard. */
export const ClientRole = createParamDecorator(
  (_: unknown, context: ExecutionContext): Role => authenticatedClient(context).role,
);

function authenticatedClient(context: ExecutionContext): ApiClient {
  const client = context.switchToHttp().getRequest<AuthenticatedRequest>().client;
  if (!client) throw new Error('ClientId or ClientRole used on a route without ApiKeyGuard');
  return client;
}

/** 403 for a client whose role does not allow what it asked; `detail` says what needs which role. */
export function roleRequired(role: Role, detail: string): ProblemException {
  return new ProblemException(
    403,
    `${role.toUpperCase()}_ROLE_REQUIRED`,
    `The ${role} role is required`,
    detail,
  );
}
