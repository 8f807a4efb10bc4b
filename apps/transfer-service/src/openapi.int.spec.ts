// Proves the real transfer-service serves its OpenAPI 3.1 document at /docs/openapi.json without an
// API key, describing exactly its endpoints with every status they answer, money as strings with the
// contracts' pattern, a real transfer shaped as documented, and Swagger UI at /docs.
import { amountMinorSchema } from '@oncepay/contracts';
import { jsonSchemaOf, type OpenApiDocument } from '@oncepay/nest-common';
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
import { randomUUID } from 'node:crypto';
import { buildOpenApiDocument } from './openapi';
import { AppModule } from './app.module';

type ObjectSchema = { properties: Record<string, { type?: string; pattern?: string }>; required: string[] };

describe('transfer-service OpenAPI at /docs', () => {
  let database: TestDatabase;
  let service: TestService;
  let document: OpenApiDocument;
  const schema = (name: string) => document.components.schemas[name] as ObjectSchema;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
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
      'POST /v1/transfers': ['202', '400', '401', '413', '415', '422'],
      'GET /v1/transfers': ['200', '400', '401'],
      'GET /v1/transfers/{id}': ['200', '400', '401', '404'],
    });
  });

  it('documents the idempotency contract: the key header, Location and Idempotent-Replayed', () => {
    const post = document.paths['/v1/transfers']?.post;
    expect(post?.parameters).toEqual([{ $ref: '#/components/parameters/IdempotencyKey' }]);
    expect(document.components.parameters.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
    });
    expect(Object.keys(post?.responses['202']?.headers ?? {})).toEqual(['Location', 'Idempotent-Replayed']);
    expect(post?.responses['422']?.content).toHaveProperty(['application/problem+json']);
    const listParameters = document.paths['/v1/transfers']?.get?.parameters ?? [];
    expect(
      listParameters.map((parameter) => ('name' in parameter ? parameter.name : parameter.$ref)),
    ).toEqual(['status', 'accountId', 'limit', 'cursor']);
  });

  it('documents every amount as a string with the pattern of contracts amountMinorSchema', () => {
    const contractPattern = jsonSchemaOf(amountMinorSchema).pattern;
    expect(contractPattern).toBe('^[1-9][0-9]*$');
    for (const name of ['RequestTransfer', 'Transfer']) {
      expect(schema(name).properties.amount).toMatchObject({ type: 'string', pattern: contractPattern });
    }
    expect(schema('Transfer').properties.amount).toMatchObject({
      description: expect.stringContaining('minor units'),
    });
  });

  it('describes a real transfer: the same fields, the amount matching its pattern', async () => {
    const response = await requestJson(service.baseUrl, 'POST', '/v1/transfers', {
      headers: { ...TEST_CLIENTS.a.auth, 'idempotency-key': randomUUID() },
      body: { fromAccountId: randomUUID(), toAccountId: randomUUID(), amount: '1500', currency: 'EUR' },
    });
    expect(response.status).toBe(202);
    const transfer = response.body as Record<string, unknown>;
    const documented = schema('Transfer');
    expect(Object.keys(transfer).sort()).toEqual(Object.keys(documented.properties).sort());
    expect([...documented.required].sort()).toEqual(Object.keys(transfer).sort());
    expect(transfer.amount).toMatch(new RegExp(documented.properties.amount?.pattern ?? '(?!)'));
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${service.baseUrl}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('swagger-ui');
  });
});
