// Authentication for the public APIs: `Authorization: Bearer <api key>`, each key belonging to one
// client with one role (api-keys.ts). Handlers receive the client id and scope everything (accounts,
// transfers, idempotency keys) to it; the role decides what the client may do beyond that.
import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingHttpHeaders } from 'node:http';
import { findApiClient, type ApiClient, type ApiKeys, type Role } from './api-keys';
import { ProblemException } from './problem-details';

/** The part of a request the guard reads and writes, whatever the HTTP framework. */
type AuthenticatedRequest = { headers: IncomingHttpHeaders; client?: ApiClient };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly apiKeys: ApiKeys;

  constructor(config: ConfigService) {
    this.apiKeys = config.getOrThrow<ApiKeys>('API_KEYS');
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const client = findApiClient(this.apiKeys, request.headers.authorization);
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
