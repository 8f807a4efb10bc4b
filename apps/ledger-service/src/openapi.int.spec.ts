// Proves the real ledger-service serves its OpenAPI 3.1 document at /docs/openapi.json without an API
// key, describing exactly its endpoints with every status they answer, entry amounts with the contracts'
// pattern and balances as signed strings, a real account and entries page shaped as documented, and
// Swagger UI at /docs.
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
import { BALANCE_PATTERN, buildOpenApiDocument } from './openapi';
import { AppModule } from './app.module';

type ObjectSchema = { properties: Record<string, { type?: string; pattern?: string }>; required: string[] };

describe('ledger-service OpenAPI at /docs', () => {
  let database: TestDatabase;
  let service: TestService;
  let document: OpenApiDocument;
  const schema = (name: string) => document.components.schemas[name] as ObjectSchema;

  beforeAll(async () => {
    database = await createTestDatabase('ledger');
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
      'POST /v1/accounts': ['200', '201', '400', '401', '409', '413', '415'],
      'GET /v1/accounts/{id}': ['200', '400', '401', '404'],
      'GET /v1/accounts/{id}/entries': ['200', '400', '401', '404'],
    });
    expect(Object.keys(document.paths['/v1/accounts']?.post?.responses['201']?.headers ?? {})).toEqual([
      'Location',
    ]);
  });

  it('documents entry amounts with the contracts pattern, and balances as signed strings of minor units', () => {
    const contractPattern = jsonSchemaOf(amountMinorSchema).pattern;
    expect(contractPattern).toBe('^[1-9][0-9]*$');
    expect(schema('Entry').properties.amount).toMatchObject({ type: 'string', pattern: contractPattern });
    const balance = schema('Account').properties.balance;
    expect(balance).toMatchObject({ type: 'string', pattern: BALANCE_PATTERN.source });
    const matches = (value: string) => new RegExp(balance?.pattern ?? '(?!)').test(value);
    expect(['0', '1500', '-1500', '9223372036854775807'].every(matches)).toBe(true);
    expect(['', '-0', '01', '1.5', '+1', '1e3', ' 1'].some(matches)).toBe(false);
  });

  it('describes a real account and entries page: the same fields, the balance matching its pattern', async () => {
    const opened = await requestJson(service.baseUrl, 'POST', '/v1/accounts', {
      headers: TEST_CLIENTS.a.auth,
      body: { id: randomUUID(), currency: 'EUR' },
    });
    expect(opened.status).toBe(201);
    const account = opened.body as Record<string, string>;
    expect(Object.keys(account).sort()).toEqual(Object.keys(schema('Account').properties).sort());
    expect(account.balance).toMatch(BALANCE_PATTERN);

    const entries = await requestJson(service.baseUrl, 'GET', `/v1/accounts/${account.id}/entries`, {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(entries.status).toBe(200);
    expect(Object.keys(entries.body as object).sort()).toEqual(
      Object.keys(schema('EntryPage').properties).sort(),
    );
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${service.baseUrl}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('swagger-ui');
  });
});
