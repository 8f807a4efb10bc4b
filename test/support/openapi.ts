// Reading a service's served OpenAPI document in tests: is it valid OpenAPI (checked by
// @readme/openapi-parser against the official schema, with every $ref resolved), which operations it
// documents with which statuses, and does a real response match the schema it documents (Ajv).
import type { DynamicModule } from '@nestjs/common';
import type { OpenApiDocument } from '@oncepay/http-edge';
import { compileErrors, validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ServiceSpec } from '../../scripts/infra/services';
import { createTestDatabase, type TestDatabase } from './database';
import { requestJson } from './http';
import { startTestService, type TestService } from './service';

/** `METHOD /path` -> the status codes it documents, sorted. */
export function operationsOf(document: OpenApiDocument): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      (['get', 'put', 'post', 'delete', 'patch'] as const)
        .filter((method) => item[method])
        .map((method) => [
          `${method.toUpperCase()} ${path}`,
          Object.keys(item[method]?.responses ?? {}).sort(),
        ]),
    ),
  );
}

/** GETs the document a running service serves at /docs/openapi.json (no API key), asserting it is JSON. */
export async function fetchServedOpenApi(baseUrl: string): Promise<OpenApiDocument> {
  const response = await requestJson(baseUrl, 'GET', '/docs/openapi.json');
  expect(response.status).toBe(200);
  expect(response.contentType).toContain('application/json');
  return response.body as OpenApiDocument;
}

/** Valid OpenAPI 3.1: the official schema, every $ref resolving, path parameters declared, unique operationIds. */
export async function expectValidOpenApi(document: OpenApiDocument): Promise<void> {
  expect(document.openapi).toBe('3.1.0');
  // The parser dereferences the object it is given; it gets a copy.
  const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
  expect(result.valid ? '' : compileErrors(result)).toBe('');
  expect(result.warnings).toEqual([]);
}

/**
 * The validation errors of `value` against the document's component schema `name` (JSON Schema 2020-12,
 * as OpenAPI 3.1 has it); [] when it matches. Formats (uuid, date-time, uri) are checked too.
 */
export function schemaErrors(document: OpenApiDocument, name: string, value: unknown): string[] {
  // Not strict: OpenAPI adds keywords of its own (example, discriminator) that JSON Schema does not know.
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const validateValue = ajv.compile({
    $ref: `#/components/schemas/${name}`,
    components: document.components,
  });
  if (validateValue(value)) return [];
  return (validateValue.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

export interface ServedOpenApi {
  baseUrl: string;
  document: OpenApiDocument;
  /** A component schema of the served document, as an object schema. */
  schema(name: string): ObjectSchema;
}

export interface ObjectSchema {
  properties: Record<string, { type?: string | string[]; pattern?: string; enum?: unknown[] }>;
  required: string[];
}

/**
 * The suite every service's /docs shares, run against its real app on a real database and broker: the
 * served document is valid OpenAPI 3.1 and the one the app builds, and Swagger UI is served. `suite`
 * adds the service's own cases; `served` is filled in before they run.
 */
export function describeServedOpenApi(
  service: ServiceSpec['name'],
  moduleFor: (env: Record<string, unknown>) => DynamicModule,
  buildDocument: () => OpenApiDocument,
  suite: (served: ServedOpenApi) => void,
): void {
  describe(`${service}-service OpenAPI at /docs`, () => {
    let database: TestDatabase;
    let running: TestService;
    const served: ServedOpenApi = {
      baseUrl: '',
      document: { openapi: '', info: { title: '', version: '' } },
      schema: (name) => served.document.components?.schemas?.[name] as ObjectSchema,
    };

    beforeAll(async () => {
      database = await createTestDatabase(service);
      running = await startTestService(moduleFor, { DATABASE_URL: database.url });
      served.baseUrl = running.baseUrl;
      served.document = await fetchServedOpenApi(running.baseUrl);
    });
    afterAll(async () => {
      await running.close();
      await database.drop();
    });

    it('is valid OpenAPI 3.1, exactly the document the app builds', async () => {
      await expectValidOpenApi(served.document);
      expect(served.document).toEqual(buildDocument());
    });

    it('serves Swagger UI at /docs', async () => {
      const response = await fetch(`${served.baseUrl}/docs`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain('swagger-ui');
    });

    suite(served);
  });
}
