// Authentication for the public APIs: `Authorization: Bearer <api key>`, each key belonging to one
// client. Handlers receive the client id and scope everything (accounts, transfers, idempotency keys) to it.
import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { ProblemException } from './problem-details';

/** `clientId:apiKey` pairs, comma separated, e.g. `demo-a:oncepay-dev-key-a,demo-b:oncepay-dev-key-b`. */
export const apiKeysSchema = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const clients = new Map<string, string>();
    for (const pair of value.split(',')) {
      const [clientId, key, ...rest] = pair.trim().split(':');
      if (!clientId || !key || rest.length > 0 || key.length < 16) {
        ctx.addIssue({
          code: 'custom',
          message: 'each entry must be clientId:apiKey with a key of 16+ characters',
        });
        return z.NEVER;
      }
      clients.set(digest(key), clientId);
    }
    return clients;
  });

/** The part of a request the guard reads and writes, whatever the HTTP framework. */
type AuthenticatedRequest = { headers: IncomingHttpHeaders; clientId?: string };

@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** sha256(api key) -> client id: comparing digests keeps the comparison constant-time. */
  private readonly clientsByKeyDigest: Map<string, string>;

  constructor(config: ConfigService) {
    this.clientsByKeyDigest = config.getOrThrow<Map<string, string>>('API_KEYS');
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const clientId = presented === undefined ? undefined : this.findClient(digest(presented));
    if (!clientId) {
      throw new ProblemException(
        401,
        'UNAUTHORIZED',
        'A valid API key is required',
        'Send Authorization: Bearer <api key>.',
      );
    }
    request.clientId = clientId;
    return true;
  }

  private findClient(presentedDigest: string): string | undefined {
    const presented = Buffer.from(presentedDigest, 'hex');
    for (const [keyDigest, clientId] of this.clientsByKeyDigest) {
      if (timingSafeEqual(presented, Buffer.from(keyDigest, 'hex'))) return clientId;
    }
    return undefined;
  }
}

/** The authenticated client's id; use on handlers guarded by ApiKeyGuard. */
export const ClientId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const clientId = context.switchToHttp().getRequest<AuthenticatedRequest>().clientId;
  if (!clientId) throw new Error('ClientId used on a route without ApiKeyGuard');
  return clientId;
});

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
