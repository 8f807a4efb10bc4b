// /v1/webhook-endpoints: authenticates the client, validates the input, calls the use case and maps
// its outcome to HTTP (problem+json for every refusal). Nothing else.
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ProblemException, ZodValidationPipe } from '@oncepay/http-edge';
import { z } from 'zod';
import { WebhookEndpointsHandler } from './webhook-endpoints.handler';
import {
  pageQuerySchema,
  registerEndpointSchema,
  rotateSecretSchema,
  type PageQuery,
  type RegisteredWebhookEndpoint,
  type RegisterEndpointRequest,
  type RotatedWebhookSecret,
  type RotateSecretRequest,
  type WebhookEndpointPage,
  type WebhookEndpointView,
} from './webhook-endpoint.requests';
import { MAX_ENABLED_ENDPOINTS_PER_CLIENT } from './webhook-endpoints.handler';

/** 404 for an unknown endpoint, another client's, or an id that is not one: all look the same. */
export function endpointNotFound(): ProblemException {
  return new ProblemException(
    404,
    'WEBHOOK_ENDPOINT_NOT_FOUND',
    'No such webhook endpoint',
    'No webhook endpoint of yours has this id.',
  );
}

/** The endpoint id from the path, or a 404 (never a 400 that would tell ids apart from other strings). */
export function endpointIdOf(id: string): string {
  const parsed = z.uuid().safeParse(id);
  if (!parsed.success) throw endpointNotFound();
  return parsed.data;
}

@Controller('v1/webhook-endpoints')
@UseGuards(ApiKeyGuard)
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsHandler) {}

  @Post()
  async register(
    @ClientId() clientId: string,
    @Body(new ZodValidationPipe(registerEndpointSchema)) body: RegisterEndpointRequest,
  ): Promise<RegisteredWebhookEndpoint> {
    const result = await this.endpoints.register(clientId, body);
    switch (result.outcome) {
      case 'registered':
        return result.endpoint;
      case 'url_refused':
        throw new ProblemException(422, result.code, 'This URL cannot receive webhooks', result.detail);
      case 'too_many_endpoints':
        throw new ProblemException(
          409,
          'TOO_MANY_WEBHOOK_ENDPOINTS',
          'Too many webhook endpoints',
          `A client may have at most ${MAX_ENABLED_ENDPOINTS_PER_CLIENT} enabled endpoints; delete one first.`,
        );
      default: {
        const unreachable: never = result;
        return unreachable;
      }
    }
  }

  @Get()
  list(
    @ClientId() clientId: string,
    @Query(new ZodValidationPipe(pageQuerySchema)) query: PageQuery,
  ): Promise<WebhookEndpointPage> {
    return this.endpoints.list(clientId, query);
  }

  @Get(':id')
  async get(@ClientId() clientId: string, @Param('id') id: string): Promise<WebhookEndpointView> {
    return (await this.endpoints.get(clientId, endpointIdOf(id))) ?? Promise.reject(endpointNotFound());
  }

  @Delete(':id')
  async disable(@ClientId() clientId: string, @Param('id') id: string): Promise<WebhookEndpointView> {
    return (await this.endpoints.disable(clientId, endpointIdOf(id))) ?? Promise.reject(endpointNotFound());
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  async rotate(
    @ClientId() clientId: string,
    @Param('id') id: string,
    @Body(new ZodValidationPipe(rotateSecretSchema.optional())) body: RotateSecretRequest | undefined,
  ): Promise<RotatedWebhookSecret> {
    const result = await this.endpoints.rotate(clientId, endpointIdOf(id), body ?? {});
    switch (result.outcome) {
      case 'rotated':
        return result.rotation;
      case 'not_found':
        throw endpointNotFound();
      case 'endpoint_disabled':
        throw new ProblemException(
          409,
          'WEBHOOK_ENDPOINT_DISABLED',
          'The webhook endpoint is disabled',
          'A disabled endpoint signs nothing; register a new one instead.',
        );
      default: {
        const unreachable: never = result;
        return unreachable;
      }
    }
  }
}
