// The notification-service's REST contract (v1) as OpenAPI 3.1, served at /docs. The query schema is
// the one the controller validates with; the response schema is checked against the view the handler
// returns (`documents<T>()`), so neither side can change without the document failing to build.
import { REJECTION_REASONS } from '@oncepay/contracts';
import {
  apiProblemResponses,
  documents,
  jsonContent,
  openApiDocument,
  pageSchema,
  registerTrailPath,
  serviceApiRegistry,
  type OpenApiDocument,
} from '@oncepay/http-edge';
import { z } from 'zod';
import { NOTIFICATION_STATUSES, TRANSFER_OUTCOMES } from './notifications/domain/notification';
import type {
  NotificationPage,
  NotificationView,
} from './notifications/list-notifications/list-notifications.handler';
import { listNotificationsQuerySchema } from './notifications/list-notifications/list-notifications.query';
import { registerWebhookPaths } from './webhooks/webhooks.openapi';

const notificationSchema = documents<NotificationView>()(
  z
    .object({
      id: z.uuid().meta({ description: 'The same on every delivery attempt: receivers dedup on it' }),
      transferId: z.uuid(),
      outcome: z.enum(TRANSFER_OUTCOMES).meta({ description: "The transfer's final status" }),
      failureReason: z.enum(REJECTION_REASONS).nullable().meta({
        description: 'Why the ledger refused the transfer; null unless it FAILED',
      }),
      status: z.enum(NOTIFICATION_STATUSES).meta({
        description:
          'PENDING: not delivered yet (retried with backoff); DELIVERED: a channel accepted it; ' +
          'GAVE_UP: a non-retriable failure, or the last allowed attempt failed',
      }),
      attempts: z
        .int()
        .min(0)
        .meta({ description: 'Delivery attempts started so far (one may be in flight)' }),
      createdAt: z.iso.datetime(),
      deliveredAt: z.iso.datetime().nullable(),
    })
    .strict(),
);

export function buildOpenApiDocument(): OpenApiDocument {
  const api = serviceApiRegistry();
  const notification = api.register('Notification', notificationSchema);
  const notificationPage = api.register(
    'NotificationPage',
    documents<NotificationPage>()(pageSchema(notification)),
  );

  api.registerPath({
    method: 'get',
    path: '/v1/notifications',
    operationId: 'listNotifications',
    summary: "The calling client's notifications, newest first",
    tags: ['notifications'],
    description: 'Keyset pagination: pass `nextCursor` back as `cursor`; filter by `transferId`.',
    request: { query: listNotificationsQuerySchema },
    responses: {
      200: { description: 'One page of notifications', content: jsonContent(notificationPage) },
      ...apiProblemResponses(400),
    },
  });

  registerWebhookPaths(api);

  registerTrailPath(api, 'notification');

  return openApiDocument(api, {
    title: 'OncePay notification-service',
    version: 'v1',
    description: [
      "One notification per transfer's final outcome, delivered through the configured channel (a log",
      'line, or a signed webhook retried with backoff) and to every webhook endpoint its client registered',
      'for that event type. This API reads notifications back and manages those endpoints.',
    ].join(' '),
  });
}
