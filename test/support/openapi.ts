// Reading a service's served OpenAPI document in tests: which operations it documents, with which statuses.
import { findOpenApiProblems, type OpenApiDocument } from '@oncepay/nest-common';
import { requestJson } from './http';

/** `METHOD /path` -> the status codes it documents, sorted. */
export function operationsOf(document: OpenApiDocument): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => [
        `${method.toUpperCase()} ${path}`,
        Object.keys(operation.responses).sort(),
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

/** The served document is OpenAPI 3.x, passes the structure check, and is exactly the one the app was given. */
export function expectConsistentOpenApi(served: OpenApiDocument, built: OpenApiDocument): void {
  expect(served.openapi).toMatch(/^3\./);
  expect(findOpenApiProblems(served)).toEqual([]);
  expect(served).toEqual(built);
}
