// Proves the real notification-service serves its OpenAPI 3.1 document at /docs/openapi.json without an
// API key, describing exactly its endpoints with every status they answer and its query parameters,
// a real page shaped as documented, and Swagger UI at /docs. (Its API carries no money fields.)
import { type OpenApiDocument } from '@oncepay/nest-common';
import {
  createTestDatabase,
  expectConsistentOpenApi,
  fetchServedOpenApi,
  operationsOf,
  requestJson,
  startTestService,
  TEST_CLIENTS,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { buildOpenApiDocument } from './openapi';
import { AppModule } from './app.module';

type ObjectSchema = { properties: Record<string, { type?: string; enum?: string[] }>; required: string[] };

describe('notification-service OpenAPI at /docs', () => {
  let database: TestDatabase;
  let service: TestService;
  let document: OpenApiDocument;
  const schema = (name: string) => document.components.schemas[name] as ObjectSchema;

  beforeAll(async () => {
    database = await createTestDatabase('notification');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    document = await fetchServedOpenApi(service.baseUrl);
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  it('is a consistent OpenAPI 3.x document, the one the app module was given', () => {
    expectConsistentOpenApi(document, buildOpenApiDocument());
  });

  it('describes exactly the endpoints the service has, with every status they answer', () => {
    expect(operationsOf(document)).toEqual({
      'GET /health': ['200', '503'],
      'GET /v1/notifications': ['200', '400', '401'],
    });
    const parameters = document.paths['/v1/notifications']?.get?.parameters ?? [];
    expect(parameters.map((parameter) => ('name' in parameter ? parameter.name : parameter.$ref))).toEqual([
      'transferId',
      'limit',
      'cursor',
    ]);
  });

  it('documents the notification statuses and outcomes', () => {
    const { properties } = schema('Notification');
    expect(properties.status?.enum).toEqual(['PENDING', 'DELIVERED', 'GAVE_UP']);
    expect(properties.outcome?.enum).toEqual(['COMPLETED', 'FAILED']);
  });

  it('describes a real page: the same fields', async () => {
    const page = await requestJson(service.baseUrl, 'GET', '/v1/notifications', {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(page.status).toBe(200);
    expect(Object.keys(page.body as object).sort()).toEqual(
      Object.keys(schema('NotificationPage').properties).sort(),
    );
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${service.baseUrl}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('swagger-ui');
  });
});
