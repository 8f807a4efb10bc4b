// GET /v1/webhook-endpoints/{id}/deliveries: authenticates the client, validates the query, calls the use case.
import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import { endpointIdOf, endpointNotFound } from '../manage-endpoints/webhook-endpoints.controller';
import { pageQuerySchema, type PageQuery } from '../manage-endpoints/webhook-endpoint.requests';
import { ListDeliveriesHandler, type WebhookDeliveryPage } from './list-deliveries.handler';

@Controller('v1/webhook-endpoints')
@UseGuards(ApiKeyGuard)
export class ListDeliveriesController {
  constructor(private readonly listDeliveries: ListDeliveriesHandler) {}

  @Get(':id/deliveries')
  async list(
    @ClientId() clientId: string,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(pageQuerySchema)) query: PageQuery,
  ): Promise<WebhookDeliveryPage> {
    const result = await this.listDeliveries.execute(clientId, endpointIdOf(id), query);
    if (result.outcome === 'not_found') throw endpointNotFound();
    return result.page;
  }
}
