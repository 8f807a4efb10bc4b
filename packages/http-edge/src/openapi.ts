// Builds each service's OpenAPI 3.1 document from the zod schemas its edge already validates with, so
// the published contract cannot drift from what the service accepts. @asteasolutions/zod-to-openapi
// does the conversion and assembles the document (ADR 0009); this file holds what every service's
// document shares: the Problem and HealthReport schemas, bearer auth, GET /health, the standard problem
// responses and the idempotency header. Served at /docs (openapi-docs.ts).
import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type ZodContentObject,
} from '@asteasolutions/zod-to-openapi';
import { MIN_IDEMPOTENCY_KEY_RETENTION_MS } from '@oncepay/dedup';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { z } from 'zod';
import { MAX_BODY_BYTES } from './http';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

// The registry names a component by calling `.openapi(name)` on its schema, which this adds to zod's
// prototype; every service builds its document through this module, so it runs before any of them.
extendZodWithOpenApi(z);

export type OpenApiDocument = OpenAPIObject;

export const BEARER_AUTH = 'bearerAuth';

const SHARED_DESCRIPTION = [
  'Every /v1 operation needs `Authorization: Bearer <api key>`; each key belongs to one client, and',
  "everything (accounts, transfers, idempotency keys) is scoped to that client: another client's",
  'resource answers 404 as if it did not exist.',
  '',
  'Money is always a JSON string of an integer number of minor units (cents for EUR), never a number:',
  'a JSON number loses precision past 2^53.',
  '',
  'Errors are RFC 9457 `application/problem+json` documents (the `Problem` schema) with a stable `code`.',
  '',
  "Every response carries `X-Correlation-Id`: the caller's when it sent a sane one, a new UUID otherwise.",
].join('\n');

/** For the description of every money field: what the string holds and why it is not a number. */
export const MINOR_UNITS_NOTE =
  'A JSON string of an integer number of minor units ("1050" is 10.50 in a two-decimal currency), never a JSON number';

// Components every service shares; `.openapi(name)` makes a schema a named component that every use references.
const problemSchema = z
  .object({
    type: z.url().meta({ description: 'https://oncepay.dev/problems/ followed by the code in kebab case' }),
    title: z.string(),
    status: z.int().min(400).max(599),
    code: z.string().meta({
      description: 'Stable and machine-readable: what clients switch on, e.g. VALIDATION_ERROR',
      examples: ['VALIDATION_ERROR'],
    }),
    detail: z.string().optional(),
    instance: z
      .string()
      .meta({ description: 'The request that failed: its path and query, as sent' })
      .optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }).strict())
      .meta({ description: 'VALIDATION_ERROR only: every issue found, by dotted path ("" for the body)' })
      .optional(),
  })
  // RFC 9457 allows extension members; clients must ignore those they do not know.
  .loose()
  .meta({ description: 'An RFC 9457 problem document' })
  .openapi('Problem');

const healthReportSchema = z
  .object({
    status: z.enum(['ok', 'error']),
    checks: z.record(
      z.string(),
      z
        .object({
          status: z.enum(['up', 'down']),
          latencyMs: z.number().min(0),
          error: z.string().meta({ description: 'Why the dependency is down' }).optional(),
        })
        .loose(),
    ),
  })
  .strict()
  .meta({ description: 'One check per dependency (database, kafka) and consumer (consumer:<group>)' })
  .openapi('HealthReport');

/**
 * A registry holding what every service documents the same way: the Problem and HealthReport schemas,
 * bearer auth (on for every operation unless it says otherwise) and the health endpoints. A service registers
 * its own schemas and paths on it, then builds the document with `openApiDocument`.
 */
export function serviceApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.register('Problem', problemSchema);
  registry.register('HealthReport', healthReportSchema);
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    description: 'The API key of the calling client: `Authorization: Bearer <api key>`',
  });
  const readiness = {
    200: {
      description: 'The database, Kafka and every consumer are up',
      content: jsonContent(healthReportSchema),
    },
    503: {
      description: 'At least one of them is not',
      headers: retryAfterHeader,
      content: jsonContent(healthReportSchema),
    },
  };
  registry.registerPath({
    method: 'get',
    path: '/health/ready',
    operationId: 'getReadiness',
    summary: 'Readiness: the database, Kafka and each consumer (joined to its group and consuming)',
    tags: ['health'],
    security: [],
    responses: readiness,
  });
  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'The same report as /health/ready',
    tags: ['health'],
    security: [],
    responses: readiness,
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this instance (text format 0.0.4); expose to the scraper only',
    tags: ['health'],
    security: [],
    responses: {
      200: {
        description: 'Every metric, as Prometheus scrapes it',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/health/live',
    operationId: 'getLiveness',
    summary:
      'Liveness: asks no dependency; 503 only when something stopped for good and the process is exiting',
    tags: ['health'],
    security: [],
    responses: {
      200: { description: 'The process can serve', content: jsonContent(healthReportSchema) },
      503: {
        description: 'Something stopped for good: restart the process',
        content: jsonContent(healthReportSchema),
      },
    },
  });
  return registry;
}

/** The whole document: what the service does, followed by the conventions every service shares. */
export function openApiDocument(
  registry: OpenAPIRegistry,
  info: { title: string; version: string; description: string },
): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { ...info, description: `${info.description}\n\n${SHARED_DESCRIPTION}` },
    security: [{ [BEARER_AUTH]: [] }],
  });
}

/** `{ application/json: schema }`, for a request body or a response. */
export function jsonContent(schema: z.ZodType): ZodContentObject {
  return { 'application/json': { schema } };
}

/**
 * The Idempotency-Key request header, validated by `schema`, as a component parameter: put the result
 * in an operation's `request.headers`, and the operation references it.
 */
export function registerIdempotencyKey(registry: OpenAPIRegistry, schema: z.ZodType): z.ZodType {
  const retentionHours = MIN_IDEMPOTENCY_KEY_RETENTION_MS / 3_600_000;
  return registry.registerParameter(
    'IdempotencyKey',
    schema.openapi({
      param: { name: 'Idempotency-Key', in: 'header', required: true },
      description: [
        'One unique key per intended operation; retry with the same key and the same body.',
        'The same key and body again answer the original status and body with `Idempotent-Replayed: true`;',
        'the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. A request sent while the first one with',
        'its key is still being processed waits for it, then answers as a replay.',
        `Keys are kept at least ${retentionHours} hours.`,
      ].join(' '),
    }),
  );
}

/** What each status means wherever the shared HTTP edge (configureHttp, ApiKeyGuard, ZodValidationPipe) answers it. */
const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_ERROR (every issue listed in `errors`) or MALFORMED_JSON',
  401: 'UNAUTHORIZED: no API key, or an unknown one',
  404: 'Not found, or owned by another client',
  409: 'Conflict',
  413: `PAYLOAD_TOO_LARGE: the body is over ${MAX_BODY_BYTES} bytes`,
  415: 'UNSUPPORTED_MEDIA_TYPE: the body is not JSON (Content-Type application/json or application/*+json)',
  422: 'The request is well-formed but cannot be processed',
  429: 'RATE_LIMITED: this client sent more requests than its limit allows; wait Retry-After seconds',
  500: 'INTERNAL_ERROR: a bug; never carries internals',
  503: 'SERVICE_UNAVAILABLE: the database cannot be reached or has no free connection; retry after Retry-After seconds',
};

/** Statuses that tell the client when to come back. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);
const retryAfterHeader = z.object({
  'Retry-After': z
    .string()
    .regex(/^[0-9]+$/)
    .meta({ description: 'Seconds to wait before sending again' }),
});

/** A problem+json response with the shared Problem schema; `description` should name its codes. */
export function problemResponse(description: string, status?: number): ResponseConfig {
  return {
    description,
    ...(status !== undefined && RETRY_AFTER_STATUSES.has(status) ? { headers: retryAfterHeader } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
  };
}

/** The standard problem response for each status; spread first, then override a status to name its codes. */
export function problemResponses(...statuses: number[]): Record<number, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((status) => {
      const description = PROBLEM_DESCRIPTIONS[status];
      if (!description) throw new Error(`no standard problem description for status ${status}`);
      return [status, problemResponse(description, status)];
    }),
  );
}

/** What every guarded /v1 operation can answer (401, 429, 503), and the standard problems of `statuses`. */
export function apiProblemResponses(...statuses: number[]): Record<number, ResponseConfig> {
  return problemResponses(401, 429, 503, ...statuses);
}

/** `{ data, nextCursor }`: one page of a newest-first listing with keyset pagination. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().meta({
        description: 'Pass back unchanged as `cursor` for the next (older) page; null on the last page',
      }),
    })
    .strict();
}

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
/** True when every value `S` describes is a `T` and both have the same fields. */
export type Describes<S, T> = [S] extends [T] ? SameKeys<S, T> : false;

/**
 * Ties a documented response schema to the type the controller returns: `documents<TransferResource>()(schema)`
 * compiles only when the schema's wire type is assignable to the resource type with exactly its fields.
 * (The schema may be narrower, e.g. an enum where the type says string.)
 */
export function documents<T>() {
  return <S extends z.ZodType>(
    schema: S & (Describes<z.input<S>, T> extends true ? unknown : { 'does not describe the type': T }),
  ): S => schema;
}
