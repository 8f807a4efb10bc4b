// Serves a service's OpenAPI document, when its ServiceCoreModule was given one: Swagger UI at /docs
// (assets from the swagger-ui-dist package, nothing fetched from the internet) and the JSON at
// /docs/openapi.json. Plain Fastify routes outside Nest's router, so no guard applies: docs are public.
import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { OpenApiDocument } from './openapi';

/** The provider of the service's document; ServiceCoreModule provides it when given `openApi`. */
export const OPENAPI_DOCUMENT = Symbol('oncepay.openapi');

export const DOCS_PATH = '/docs';
export const OPENAPI_JSON_PATH = '/docs/openapi.json';

/** Call before `listen`, like the rest of configureHttp; does nothing for an app without a document. */
export function serveOpenApiDocs(app: INestApplication): void {
  const document = findOpenApiDocument(app);
  if (!document) return;
  SwaggerModule.setup(DOCS_PATH.slice(1), app, asSwaggerDocument(document), {
    jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1),
    raw: ['json'],
    customSiteTitle: document.info.title,
    // Swagger UI would otherwise send the document's URL to validator.swagger.io from the browser.
    swaggerOptions: { validatorUrl: null },
  });
}

function findOpenApiDocument(app: INestApplication): OpenApiDocument | undefined {
  // Asked first, because app.get on a token no module provides does not just throw: Nest's exception
  // zone logs it and exits the process (abortOnError). A bare test module has no document.
  const provided = [...app.get(ModulesContainer).values()].some((module) =>
    module.providers.has(OPENAPI_DOCUMENT),
  );
  return provided ? app.get<OpenApiDocument>(OPENAPI_DOCUMENT, { strict: false }) : undefined;
}

/**
 * @nestjs/swagger types its document after OpenAPI 3.0 (`type: string`, boolean `exclusiveMaximum`);
 * ours is OpenAPI 3.1 (openapi3-ts/oas31). SwaggerModule.setup only serializes the document and hands
 * it to Swagger UI (which reads 3.1), so the difference is in the types alone.
 */
function asSwaggerDocument(document: OpenApiDocument): OpenAPIObject {
  return document as unknown as OpenAPIObject;
}
