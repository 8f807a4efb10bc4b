// The webhook-endpoint part of the notification-service's OpenAPI document: request schemas are the
// ones the controllers validate with, response schemas are checked against the views the handlers
// return (`documents<T>()`).
import {
  apiProblemResponses,
  documents,
  jsonContent,
  pageSchema,
  problemResponse,
  type serviceApiRegistry,
} from '@oncepay/http-edge';
import { z } from 'zod';
import { NOTIFICATION_STATUSES } from '../notifications/domain/notification';
import { WEBHOOK_EVENT_TYPES } from '../notifications/domain/webhook-event-type';
import type {
  WebhookAttemptView,
  WebhookDeliveryPage,
  WebhookDeliveryView,
} from './list-deliveries/list-deliveries.handler';
import {
  pageQuerySchema,
  registerEndpointSchema,
  rotateSecretSchema,
  type RegisteredWebhookEndpoint,
  type RotatedWebhookSecret,
  type WebhookEndpointPage,
  type WebhookEndpointView,
} from './manage-endpoints/webhook-endpoint.requests';

type ApiRegistry = ReturnType<typeof serviceApiRegistry>;

const endpointFields = {
  id: z.uuid(),
  url: z
    .string()
    .meta({ description: 'https:// and public (unless WEBHOOK_ALLOW_LOCAL_URLS outside production)' }),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  enabled: z.boolean().meta({ description: 'false once DELETEd: it receives nothing more' }),
  createdAt: z.iso.datetime(),
  disabledAt: z.iso.datetime().nullable(),
};
const endpointSchema = documents<WebhookEndpointView>()(z.object(endpointFields).strict());
const secretSchema = z.string().meta({
  description: 'whsec_<base64>: verify with any Standard Webhooks library. Shown once, never again',
});
const registeredSchema = documents<RegisteredWebhookEndpoint>()(
  z.object({ ...endpointFields, secret: secretSchema }).strict(),
);
const rotatedSchema = documents<RotatedWebhookSecret>()(
  z
    .object({
      endpoint: endpointSchema,
      secret: secretSchema,
      previousSecretsExpireAt: z.iso.datetime().meta({
        description: 'Until then every delivery carries one signature per live secret (old and new)',
      }),
    })
    .strict(),
);
const attemptSchema = documents<WebhookAttemptView>()(
  z
    .object({
      attemptNumber: z.int().min(1),
      attemptedAt: z.iso.datetime(),
      succeeded: z.boolean(),
      responseStatus: z
        .int()
        .nullable()
        .meta({ description: "The receiver's HTTP status; null without an answer" }),
      error: z.string().nullable(),
    })
    .strict(),
);
const deliverySchema = documents<WebhookDeliveryView>()(
  z
    .object({
      id: z.uuid(),
      notificationId: z.uuid().meta({ description: 'The webhook-id header: the same on every attempt' }),
      transferId: z.uuid(),
      eventType: z.string().meta({ description: WEBHOOK_EVENT_TYPES.join(', ') }),
      status: z.enum(NOTIFICATION_STATUSES),
      attempts: z.int().min(0),
      lastError: z.string().nullable(),
      nextAttemptAt: z.iso
        .datetime()
        .nullable()
        .meta({ description: 'When PENDING: the next attempt is due then' }),
      createdAt: z.iso.datetime(),
      deliveredAt: z.iso.datetime().nullable(),
      attemptLog: z.array(attemptSchema),
    })
    .strict(),
);
const endpointIdParameters = z.object({ id: z.uuid().meta({ description: 'The webhook endpoint id' }) });
const notFound = { 404: problemResponse('WEBHOOK_ENDPOINT_NOT_FOUND: unknown, or another client’s') };

export function registerWebhookPaths(api: ApiRegistry): void {
  const endpoint = api.register('WebhookEndpoint', endpointSchema);
  const registered = api.register('RegisteredWebhookEndpoint', registeredSchema);
  const rotated = api.register('RotatedWebhookSecret', rotatedSchema);
  const endpointPage = api.register(
    'WebhookEndpointPage',
    documents<WebhookEndpointPage>()(pageSchema(endpoint)),
  );
  const deliveryPage = api.register(
    'WebhookDeliveryPage',
    documents<WebhookDeliveryPage>()(pageSchema(api.register('WebhookDelivery', deliverySchema))),
  );
  const tags = ['webhook-endpoints'];

  api.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints',
    operationId: 'registerWebhookEndpoint',
    summary: 'Register an endpoint for the events of your own transfers',
    tags,
    description:
      'Events: transfer.completed, transfer.failed, transfer.refunded, hold.captured, hold.voided, ' +
      'hold.expired (all when `events` is omitted). Each delivery is a POST signed per Standard Webhooks ' +
      '(webhook-id, webhook-timestamp, webhook-signature), retried with backoff.',
    request: { body: { required: true, content: jsonContent(registerEndpointSchema) } },
    responses: {
      201: { description: 'Registered; `secret` is shown this once', content: jsonContent(registered) },
      409: problemResponse('TOO_MANY_WEBHOOK_ENDPOINTS'),
      422: problemResponse(
        'WEBHOOK_URL_INVALID, WEBHOOK_URL_NOT_HTTPS, WEBHOOK_URL_NOT_PUBLIC (a loopback, private, ' +
          'link-local or unique-local address) or WEBHOOK_URL_UNRESOLVABLE',
      ),
      ...apiProblemResponses(400, 413, 415),
    },
  });
  api.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'Your endpoints, newest first (disabled ones too)',
    tags,
    request: { query: pageQuerySchema },
    responses: {
      200: { description: 'One page of endpoints', content: jsonContent(endpointPage) },
      ...apiProblemResponses(400),
    },
  });
  api.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}',
    operationId: 'getWebhookEndpoint',
    summary: 'One of your endpoints (never its secret)',
    tags,
    request: { params: endpointIdParameters },
    responses: {
      200: { description: 'The endpoint', content: jsonContent(endpoint) },
      ...notFound,
      ...apiProblemResponses(),
    },
  });
  api.registerPath({
    method: 'delete',
    path: '/v1/webhook-endpoints/{id}',
    operationId: 'disableWebhookEndpoint',
    summary: 'Disable an endpoint: nothing more is sent to it (repeatable)',
    tags,
    request: { params: endpointIdParameters },
    responses: {
      200: { description: 'The endpoint, disabled', content: jsonContent(endpoint) },
      ...notFound,
      ...apiProblemResponses(),
    },
  });
  api.registerPath({
    method: 'post',
    path: '/v1/webhook-endpoints/{id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'A new secret; the older ones keep signing until the overlap ends',
    tags,
    description: '`overlapSeconds`: 0 to 604800, default 86400.',
    request: {
      params: endpointIdParameters,
      body: { required: false, content: jsonContent(rotateSecretSchema) },
    },
    responses: {
      200: { description: 'The new secret, shown this once', content: jsonContent(rotated) },
      ...notFound,
      409: problemResponse('WEBHOOK_ENDPOINT_DISABLED'),
      ...apiProblemResponses(400, 413, 415),
    },
  });
  api.registerPath({
    method: 'get',
    path: '/v1/webhook-endpoints/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "An endpoint's deliveries, newest first, each with every attempt",
    tags,
    request: { params: endpointIdParameters, query: pageQuerySchema },
    responses: {
      200: { description: 'One page of deliveries', content: jsonContent(deliveryPage) },
      ...notFound,
      ...apiProblemResponses(400),
    },
  });
}
