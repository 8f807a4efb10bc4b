// Proves the OpenAPI building blocks give a valid OpenAPI 3.1 document (shared components, GET /health,
// bearer auth, problem responses, the idempotency header, the wire side of money), that the validator
// the services' tests rely on refuses a broken one, and that configureHttp serves a provided document
// at /docs (Swagger UI and its assets, and the JSON) without authentication, and nothing for an app
// without one.
import { Controller, Get, Module, UseGuards, type INestApplication, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { amountMinorSchema } from '@oncepay/contracts';
import { z } from 'zod';
import { ApiKeyGuard } from './api-key.guard';
import { apiKeysSchema } from './api-keys';
import { configureHttp, createHttpAdapter } from './http';
import { expectValidOpenApi, operationsOf, schemaErrors } from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import {
  apiProblemResponses,
  documents,
  jsonContent,
  openApiDocument,
  pageSchema,
  problemResponse,
  problemResponses,
  registerIdempotencyKey,
  serviceApiRegistry,
  type OpenApiDocument,
} from './openapi';
import { OPENAPI_DOCUMENT } from './openapi-docs';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

const itemSchema = documents<{ id: string; amount: string }>()(
  z.object({ id: z.uuid(), amount: amountMinorSchema }).strict(),
);

function sampleDocument(): OpenApiDocument {
  const api = serviceApiRegistry();
  const item = api.register('Item', itemSchema);
  const itemPage = api.register('ItemPage', pageSchema(item));
  const idempotencyKey = registerIdempotencyKey(api, z.string().max(255));
  api.registerPath({
    method: 'post',
    path: '/v1/items',
    operationId: 'createItem',
    summary: 'Create an item',
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyKey }),
      body: { required: true, content: jsonContent(item) },
    },
    responses: {
      201: { description: 'Created', content: jsonContent(item) },
      ...problemResponses(400, 401),
      422: problemResponse('IDEMPOTENCY_KEY_REUSED'),
    },
  });
  api.registerPath({
    method: 'get',
    path: '/v1/items',
    operationId: 'listItems',
    summary: 'Items',
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) }) },
    responses: { 200: { description: 'A page', content: jsonContent(itemPage) } },
  });
  api.registerPath({
    method: 'get',
    path: '/v1/items/{id}',
    operationId: 'getItem',
    summary: 'One item',
    request: { params: z.object({ id: z.uuid().meta({ description: 'The item id' }) }) },
    responses: { 200: { description: 'The item', content: jsonContent(item) } },
  });
  return openApiDocument(api, { title: 'probe', version: 'v1', description: 'A probe service.' });
}

describe('OpenAPI building blocks', () => {
  const document = sampleDocument();

  it('build a valid OpenAPI 3.1 document with the shared components, GET /health and bearer auth', async () => {
    await expectValidOpenApi(document);
    expect(operationsOf(document)).toEqual({
      'GET /health': ['200', '503'],
      'GET /health/live': ['200', '503'],
      'GET /health/ready': ['200', '503'],
      'GET /metrics': ['200'],
      'POST /v1/items': ['201', '400', '401', '422'],
      'GET /v1/items': ['200'],
      'GET /v1/items/{id}': ['200'],
    });
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(
      expect.arrayContaining(['Problem', 'HealthReport', 'Item', 'ItemPage']),
    );
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.paths?.['/health']?.get?.security).toEqual([]);
    expect(document.info.description).toMatch(/^A probe service\.\n\nEvery \/v1 operation needs/);
  });

  it('describe the wire side of money: the amount string, not the bigint it parses to', () => {
    expect(document.components?.schemas?.Item).toMatchObject({
      properties: { amount: { type: 'string', pattern: '^[1-9][0-9]*$' } },
    });
    expect(schemaErrors(document, 'Item', { id: randomUUID(), amount: '1500' })).toEqual([]);
    expect(schemaErrors(document, 'Item', { id: randomUUID(), amount: 1500 })).toEqual([
      '/amount must be string',
    ]);
  });

  it('reference a registered schema from another instead of repeating it', () => {
    expect(document.components?.schemas?.ItemPage).toMatchObject({
      properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Item' } } },
      required: ['data', 'nextCursor'],
    });
  });

  it('answer problems as application/problem+json with the shared Problem schema', () => {
    const responses = document.paths?.['/v1/items']?.post?.responses ?? {};
    for (const status of ['400', '401', '422'])
      expect(responses[status]?.content).toEqual({
        [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } },
      });
    expect(responses['422']?.description).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(() => problemResponses(418)).toThrow('no standard problem description for status 418');
  });

  it('give every guarded operation 401, 429 and 503, the last two with Retry-After', () => {
    const responses = apiProblemResponses(400);
    expect(Object.keys(responses).sort()).toEqual(['400', '401', '429', '503']);
    expect(responses[429]?.headers).toBeDefined();
    expect(responses[503]?.headers).toBeDefined();
    expect(responses[401]?.headers).toBeUndefined();
    expect(responses[429]?.description).toMatch(/^RATE_LIMITED/);
    expect(responses[503]?.description).toMatch(/^SERVICE_UNAVAILABLE/);
  });

  it('make the Idempotency-Key header a component parameter that operations reference', () => {
    expect(document.paths?.['/v1/items']?.post?.parameters).toEqual([
      { $ref: '#/components/parameters/IdempotencyKey' },
    ]);
    expect(document.components?.parameters?.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description: expect.stringContaining('IDEMPOTENCY_KEY_REUSED'),
    });
  });

  it('give each query and path parameter its schema, required unless defaulted', () => {
    expect(document.paths?.['/v1/items']?.get?.parameters).toEqual([
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'integer', default: 50 }),
      }),
    ]);
    expect(document.paths?.['/v1/items/{id}']?.get?.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true, description: 'The item id' }),
    ]);
  });

  it('are checked by a validator that refuses a dangling $ref and an undeclared path parameter', async () => {
    const dangling = structuredClone(document);
    const getItem = dangling.paths?.['/v1/items/{id}']?.get;
    if (!getItem) throw new Error('GET /v1/items/{id} is missing');
    getItem.responses = {
      200: {
        description: 'The item',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Nothing' } } },
      },
    };
    await expect(expectValidOpenApi(dangling)).rejects.toThrow(
      /Missing \$ref pointer .*#\/components\/schemas\/Nothing/,
    );

    const undeclared = structuredClone(document);
    const getUndeclared = undeclared.paths?.['/v1/items/{id}']?.get;
    if (!getUndeclared) throw new Error('GET /v1/items/{id} is missing');
    getUndeclared.parameters = [];
    await expect(expectValidOpenApi(undeclared)).rejects.toThrow(/is missing path parameter\(s\) for `{id}`/);
  });

  it('type-check a response schema against the type it documents', () => {
    // @ts-expect-error: the schema lacks `amount`, so it does not document the type.
    const incomplete = documents<{ id: string; amount: string }>()(z.object({ id: z.uuid() }));
    expect(incomplete).toBeDefined();
  });
});

describe('serving the document at /docs', () => {
  @Controller('v1/secret')
  @UseGuards(ApiKeyGuard)
  class SecretController {
    @Get()
    read(): unknown {
      return { secret: true };
    }
  }

  function moduleWith(document: OpenApiDocument | undefined): Type<unknown> {
    @Module({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          skipProcessEnv: true,
          validatePredefined: false,
          load: [() => ({ API_KEYS: apiKeysSchema.parse('client-a:client:key-of-client-a-000001') })],
        }),
      ],
      controllers: [SecretController],
      providers: [ApiKeyGuard, ...(document ? [{ provide: OPENAPI_DOCUMENT, useValue: document }] : [])],
    })
    class ProbeModule {}
    return ProbeModule;
  }

  async function start(
    document: OpenApiDocument | undefined,
  ): Promise<{ app: INestApplication; url: string }> {
    const app = await NestFactory.create(moduleWith(document), createHttpAdapter(), {
      logger: false,
      bodyParser: false,
    });
    await configureHttp(app);
    await app.listen(0, '127.0.0.1');
    return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
  }

  describe('with a document', () => {
    const document = sampleDocument();
    let running: { app: INestApplication; url: string };
    beforeAll(async () => {
      running = await start(document);
    });
    afterAll(() => running.app.close());

    it('serves the JSON at /docs/openapi.json, unauthenticated, exactly as built', async () => {
      const response = await fetch(`${running.url}/docs/openapi.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toEqual(document);
    });

    it('serves Swagger UI at /docs with its assets from the local package', async () => {
      const page = await fetch(`${running.url}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      expect(html).toContain('swagger-ui-bundle.js');
      expect(html).not.toMatch(/src=["']https?:/);
      const bundle = await fetch(`${running.url}/docs/swagger-ui-bundle.js`);
      expect(bundle.status).toBe(200);
      const init = await (await fetch(`${running.url}/docs/swagger-ui-init.js`)).text();
      expect(init).toContain('"validatorUrl": null');
      expect(init).toContain('"title": "probe"');
    });

    it('still guards the API itself', async () => {
      expect((await fetch(`${running.url}/v1/secret`)).status).toBe(401);
    });
  });

  it('serves nothing at /docs for an app without a document', async () => {
    const running = await start(undefined);
    try {
      const response = await fetch(`${running.url}/docs/openapi.json`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    } finally {
      await running.app.close();
    }
  });
});
