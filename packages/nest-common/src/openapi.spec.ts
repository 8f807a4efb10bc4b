// Proves the OpenAPI builders turn the edge's zod schemas into OpenAPI 3.1 pieces (wire-side JSON Schema,
// query parameters, problem responses on the shared Problem schema, components that reference each
// other), refuse an inconsistent document, and that configureHttp serves a provided document at /docs
// (Swagger UI and its assets, and the JSON) without authentication, and nothing for an app without one.
import { Controller, Get, Module, UseGuards, type INestApplication, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { amountMinorSchema } from '@oncepay/contracts';
import { z } from 'zod';
import { ApiKeyGuard, apiKeysSchema } from './api-key.guard';
import { parseConfiguration } from './env';
import { configureHttp, createHttpAdapter } from './http';
import {
  documents,
  findOpenApiProblems,
  headerParameter,
  healthPath,
  idempotencyKeyParameter,
  jsonBody,
  jsonSchemaOf,
  openApiDocument,
  pageSchema,
  parameterRef,
  pathParameter,
  problemResponses,
  queryParameters,
  schemaRef,
  type OpenApiDocument,
} from './openapi';
import { OPENAPI_DOCUMENT } from './openapi-docs';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

const itemSchema = documents<{ id: string; amount: string }>()(
  z.object({ id: z.uuid(), amount: amountMinorSchema }).strict(),
);

function sampleDocument(): OpenApiDocument {
  return openApiDocument({
    title: 'probe',
    version: 'v1',
    description: 'A probe service.',
    schemas: { Item: itemSchema, ItemPage: pageSchema(itemSchema) },
    parameters: { IdempotencyKey: idempotencyKeyParameter(z.string().max(255)) },
    paths: {
      '/health': healthPath(),
      '/v1/items': {
        post: {
          operationId: 'createItem',
          summary: 'Create an item',
          parameters: [parameterRef('IdempotencyKey')],
          requestBody: { required: true, ...jsonBody(schemaRef('Item')) },
          responses: {
            201: { description: 'Created', ...jsonBody(schemaRef('Item')) },
            ...problemResponses(400),
          },
        },
      },
      '/v1/items/{id}': {
        get: {
          operationId: 'getItem',
          summary: 'One item',
          parameters: [pathParameter('id', z.uuid(), 'The item id')],
          responses: { 200: { description: 'The item', ...jsonBody(schemaRef('Item')) } },
        },
      },
    },
  });
}

describe('OpenAPI builders', () => {
  it('converts the wire side of a zod schema: the amount string, not the bigint it parses to', () => {
    expect(jsonSchemaOf(amountMinorSchema)).toEqual({ type: 'string', pattern: '^[1-9][0-9]*$' });
  });

  it('makes one query parameter per property, required unless optional or defaulted', () => {
    const query = z
      .object({
        status: z.enum(['A', 'B']).meta({ description: 'Filter' }),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: z.string().optional(),
      })
      .strict();
    expect(queryParameters(query)).toEqual([
      { name: 'status', in: 'query', required: true, description: 'Filter', schema: expect.any(Object) },
      {
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
      },
      { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
    ]);
  });

  it('describes headers and path parameters with their schemas', () => {
    expect(headerParameter('X-Probe', z.literal('yes'), { required: false, description: 'd' })).toEqual({
      name: 'X-Probe',
      in: 'header',
      required: false,
      description: 'd',
      schema: { type: 'string', const: 'yes' },
    });
    expect(idempotencyKeyParameter(z.string())).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description: expect.stringContaining('24 hours'),
    });
  });

  it('answers problems as application/problem+json with the shared Problem schema', () => {
    expect(problemResponses(401, 413)).toEqual({
      401: { description: expect.stringContaining('UNAUTHORIZED'), content: expect.any(Object) },
      413: { description: expect.stringContaining('16384 bytes'), content: expect.any(Object) },
    });
    expect(problemResponses(401)['401']?.content).toEqual({
      [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } },
    });
    expect(() => problemResponses(418)).toThrow('418');
  });

  it('builds an OpenAPI 3.1 document with the shared components and bearer auth on by default', () => {
    const document = sampleDocument();
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.description).toContain('minor units');
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/health']?.get?.security).toEqual([]);
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'HealthReport',
      'Item',
      'ItemPage',
      'Problem',
    ]);
    expect(document.components.schemas.Problem).toMatchObject({
      type: 'object',
      required: ['type', 'title', 'status', 'code'],
      properties: {
        type: { type: 'string', format: 'uri' },
        title: { type: 'string' },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        code: { type: 'string' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        errors: { type: 'array' },
      },
    });
    expect(findOpenApiProblems(document)).toEqual([]);
  });

  it('references a registered schema from another instead of repeating it, and drops root-only keywords', () => {
    const { Item, ItemPage } = sampleDocument().components.schemas;
    expect(ItemPage).toMatchObject({
      properties: {
        data: { type: 'array', items: { $ref: '#/components/schemas/Item' } },
        // zod 4.6 writes a nullable string as a type list (4.1 wrote anyOf); both mean the same in 3.1.
        nextCursor: { type: ['string', 'null'] },
      },
      required: ['data', 'nextCursor'],
    });
    for (const schema of [Item, ItemPage]) {
      expect(schema).not.toHaveProperty('$schema');
      expect(schema).not.toHaveProperty('$id');
    }
  });

  it('refuses a document with a dangling $ref or a path parameter not declared', () => {
    expect(() =>
      openApiDocument({
        title: 't',
        version: 'v1',
        description: 'd',
        paths: {
          '/v1/things/{id}': {
            get: {
              operationId: 'getThing',
              summary: 's',
              responses: { 200: { description: 'ok', ...jsonBody(schemaRef('Thing')) } },
            },
          },
        },
      }),
    ).toThrow(
      /\$ref #\/components\/schemas\/Thing does not resolve[\s\S]*path parameter \{id\} is not declared/,
    );
  });

  it('type-checks a response schema against the type it documents', () => {
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
          load: [
            () =>
              parseConfiguration(z.object({ API_KEYS: apiKeysSchema }), {
                API_KEYS: 'client-a:key-of-client-a-000001',
              }),
          ],
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
    configureHttp(app);
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
