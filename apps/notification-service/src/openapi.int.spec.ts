// Proves the real notification-service serves a valid OpenAPI 3.1 document at /docs/openapi.json without
// an API key, describing exactly its endpoints with every status they answer and its query parameters,
// and real pages that match their documented schemas. (Its API carries no money fields.)
import {
  describeServedOpenApi,
  operationsOf,
  requestJson,
  schemaErrors,
  TEST_CLIENTS,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './openapi';

describeServedOpenApi('notification', AppModule.withEnvironment, buildOpenApiDocument, (served) => {
  it('describes exactly the endpoints the service has, with every status they answer', () => {
    expect(operationsOf(served.document)).toEqual({
      'GET /health': ['200', '503'],
      'GET /health/live': ['200', '503'],
      'GET /health/ready': ['200', '503'],
      'GET /metrics': ['200'],
      'GET /v1/notifications': ['200', '400', '401', '429', '503'],
      'POST /v1/webhook-endpoints': ['201', '400', '401', '409', '413', '415', '422', '429', '503'],
      'GET /v1/webhook-endpoints': ['200', '400', '401', '429', '503'],
      'GET /v1/webhook-endpoints/{id}': ['200', '401', '404', '429', '503'],
      'DELETE /v1/webhook-endpoints/{id}': ['200', '401', '404', '429', '503'],
      'POST /v1/webhook-endpoints/{id}/rotate-secret': [
        '200',
        '400',
        '401',
        '404',
        '409',
        '413',
        '415',
        '429',
        '503',
      ],
      'GET /v1/webhook-endpoints/{id}/deliveries': ['200', '400', '401', '404', '429', '503'],
      'GET /v1/ops/transfers/{transferId}/trail': ['200', '400', '401', '403', '404', '429', '503'],
    });
    const parameters = served.document.paths?.['/v1/notifications']?.get?.parameters ?? [];
    expect(parameters.map((parameter) => ('name' in parameter ? parameter.name : parameter.$ref))).toEqual([
      'transferId',
      'limit',
      'cursor',
    ]);
  });

  it('documents the notification statuses and outcomes', () => {
    const { properties } = served.schema('Notification');
    expect(properties.status?.enum).toEqual(['PENDING', 'DELIVERED', 'GAVE_UP']);
    expect(properties.outcome?.enum).toEqual(['COMPLETED', 'FAILED', 'CAPTURED', 'VOIDED', 'EXPIRED']);
  });

  it('describes a real page: it matches the NotificationPage schema', async () => {
    const page = await requestJson(served.baseUrl, 'GET', '/v1/notifications', {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(page.status).toBe(200);
    expect(schemaErrors(served.document, 'NotificationPage', page.body)).toEqual([]);
    expect(schemaErrors(served.document, 'NotificationPage', { data: [] })).toEqual([
      "/ must have required property 'nextCursor'",
    ]);
  });

  it('describes a real endpoint page: it matches the WebhookEndpointPage schema', async () => {
    const page = await requestJson(served.baseUrl, 'GET', '/v1/webhook-endpoints', {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(page.status).toBe(200);
    expect(schemaErrors(served.document, 'WebhookEndpointPage', page.body)).toEqual([]);
  });
  it("serves a transfer's trail as documented, empty for a transfer it does not know", async () => {
    const transferId = randomUUID();
    const trail = await requestJson(served.baseUrl, 'GET', `/v1/ops/transfers/${transferId}/trail`, {
      headers: TEST_CLIENTS.operator.auth,
    });
    expect(trail.status).toBe(200);
    expect(trail.body).toEqual({ service: 'notification', transferId, entries: [] });
    expect(schemaErrors(served.document, 'Trail', trail.body)).toEqual([]);
    expect(
      schemaErrors(served.document, 'Trail', { ...(trail.body as object), service: 'other' }),
    ).not.toEqual([]);
  });
});
