// GET /v1/notifications: authenticates the client, validates the query, calls the use case. Nothing else.
import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import { ListNotificationsHandler, type NotificationPage } from './list-notifications.handler';
import { listNotificationsQuerySchema, type ListNotificationsQuery } from './list-notifications.query';

@Controller('v1/notifications')
@UseGuards(ApiKeyGuard)
export class ListNotificationsController {
  constructor(private readonly listNotifications: ListNotificationsHandler) {}

  @Get()
  list(
    @ClientId() clientId: string,
    @Query(new ZodValidationPipe(listNotificationsQuerySchema)) query: ListNotificationsQuery,
  ): Promise<NotificationPage> {
    return this.listNotifications.execute(clientId, query);
  }
}
