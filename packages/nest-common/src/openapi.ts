// Builds each service's OpenAPI 3.1 document from the zod schemas its edge already validates with, so
// the published contract cannot drift from what the service accepts: z.toJSONSchema turns a schema
// into JSON Schema 2020-12, which is what OpenAPI 3.1 schema objects are. Served at /docs (openapi-docs.ts).
import { MIN_IDEMPOTENCY_KEY_RETENTION_MS } from '@oncepay/dedup';
import { z } from 'zod';
import { MAX_BODY_BYTES } from './http';
import { PROBLEM_CONTENT_TYPE } from './problem-details';

/** A JSON Schema 2020-12 object: the schema object of OpenAPI 3.1. */
export type JsonSchema = { [keyword: string]: unknown };

export interface ReferenceObject {
  $ref: string;
}

export interface MediaTypeObject {
  schema: JsonSchema | ReferenceObject;
}

export interface ParameterObject {
  name: string;
  in: 'query' | 'path' | 'header';
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface HeaderObject {
  description: string;
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, MediaTypeObject>;
}

export interface RequestBodyObject {
  description?: string;
  required: boolean;
  content: Record<string, MediaTypeObject>;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  parameters?: Array<ParameterObject | ReferenceObject>;
  requestBody?: RequestBodyObject;
  /** Keyed by status code; every status the operation can answer. */
  responses: Record<string, ResponseObject>;
  /** Overrides the document's default (bearerAuth); `[]` for an unauthenticated operation. */
  security?: Array<Record<string, string[]>>;
}

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export type PathItemObject = Partial<Record<HttpMethod, OperationObject>>;

export interface SecuritySchemeObject {
  type: 'http';
  scheme: 'bearer';
  description: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, ParameterObject>;
    securitySchemes: Record<string, SecuritySchemeObject>;
  };
  security: Array<Record<string, string[]>>;
}

export interface OpenApiDocumentInput {
  title: string;
  version: string;
  /** What the service does; the conventions every service shares are appended. */
  description: string;
  paths: Record<string, PathItemObject>;
  /** Named component schemas; one that embeds another registered here references it by $ref. */
  schemas?: Record<string, z.ZodType>;
  parameters?: Record<string, ParameterObject>;
}

const SCHEMAS_PATH = '#/components/schemas/';
const PARAMETERS_PATH = '#/components/parameters/';
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

/** Shared component schemas: every service answers errors and GET /health the same way. */
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
    instance: z.string().meta({ description: 'The path of the request that failed' }).optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }).strict())
      .meta({ description: 'VALIDATION_ERROR only: every issue found, by dotted path ("" for the body)' })
      .optional(),
  })
  // RFC 9457 allows extension members; clients must ignore those they do not know.
  .loose()
  .meta({ description: 'An RFC 9457 problem document' });

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
  .meta({ description: 'One check per dependency (database, kafka)' });

/**
 * zod converts the wire side (`io: 'input'`) of each schema: what a client sends for a request schema
 * and, for a response schema, the JSON it receives (a transform such as amountMinorSchema's
 * string-to-bigint starts from the wire string). It throws on what JSON Schema cannot express (a bigint
 * input, a custom type): better at boot than a wrong document.
 */
const TO_JSON_SCHEMA = { io: 'input', target: 'draft-2020-12' } as const;

/** A request or response schema as inline JSON Schema. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return withoutRootKeywords(z.toJSONSchema(schema, TO_JSON_SCHEMA));
}

/** Named schemas converted together, so one that embeds another (a page of transfers) references it by $ref. */
function componentSchemas(schemas: Record<string, z.ZodType>): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, { ...TO_JSON_SCHEMA, uri: (id) => SCHEMAS_PATH + id }).schemas;
  return Object.fromEntries(
    Object.entries(converted).map(([id, schema]) => [id, withoutRootKeywords(schema)]),
  );
}

/** `$schema` is implied by OpenAPI 3.1; zod's `$id` for a component would be a fragment-only URI, which JSON Schema forbids. */
function withoutRootKeywords(schema: JsonSchema): JsonSchema {
  const embeddable = { ...schema };
  delete embeddable.$schema;
  delete embeddable.$id;
  return embeddable;
}

export function schemaRef(name: string): ReferenceObject {
  return { $ref: SCHEMAS_PATH + name };
}

export function parameterRef(name: string): ReferenceObject {
  return { $ref: PARAMETERS_PATH + name };
}

function isReference(value: z.ZodType | ReferenceObject): value is ReferenceObject {
  return typeof (value as Partial<ReferenceObject>).$ref === 'string';
}

/** `{ content: { application/json: … } }` for a request body or a response: a component ref or an inline schema. */
export function jsonBody(schema: z.ZodType | ReferenceObject): { content: Record<string, MediaTypeObject> } {
  return { content: { 'application/json': { schema: isReference(schema) ? schema : jsonSchemaOf(schema) } } };
}

/** One query parameter per property of the zod object the controller validates its query with. */
export function queryParameters(schema: z.ZodObject): ParameterObject[] {
  const { properties = {}, required = [] } = jsonSchemaOf(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

export function pathParameter(name: string, schema: z.ZodType, description: string): ParameterObject {
  return { name, in: 'path', required: true, description, schema: jsonSchemaOf(schema) };
}

export function headerParameter(
  name: string,
  schema: z.ZodType,
  options: { required: boolean; description: string },
): ParameterObject {
  return { name, in: 'header', ...options, schema: jsonSchemaOf(schema) };
}

/** The Idempotency-Key request header, validated by `schema`; register it under components.parameters. */
export function idempotencyKeyParameter(schema: z.ZodType): ParameterObject {
  const retentionHours = MIN_IDEMPOTENCY_KEY_RETENTION_MS / 3_600_000;
  return headerParameter('Idempotency-Key', schema, {
    required: true,
    description: [
      'One unique key per intended operation; retry with the same key and the same body.',
      'The same key and body again answer the original status and body with `Idempotent-Replayed: true`;',
      'the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. A request sent while the first one with',
      'its key is still being processed waits for it, then answers as a replay.',
      `Keys are kept at least ${retentionHours} hours.`,
    ].join(' '),
  });
}

export function responseHeader(description: string, schema: z.ZodType): HeaderObject {
  return { description, schema: jsonSchemaOf(schema) };
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
  500: 'INTERNAL_ERROR: a bug or an infrastructure failure; never carries internals',
  503: 'Service unavailable',
};

/** A problem+json response with the shared Problem schema; `description` should name its codes. */
export function problemResponse(description: string): ResponseObject {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: schemaRef('Problem') } } };
}

/** The standard problem response for each status; spread first, then override a status to name its codes. */
export function problemResponses(...statuses: number[]): Record<string, ResponseObject> {
  return Object.fromEntries(
    statuses.map((status) => {
      const description = PROBLEM_DESCRIPTIONS[status];
      if (!description) throw new Error(`no standard problem description for status ${status}`);
      return [String(status), problemResponse(description)];
    }),
  );
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

/** GET /health as ServiceCoreModule serves it: unauthenticated, 200 when every dependency is up, 503 otherwise. */
export function healthPath(): PathItemObject {
  return {
    get: {
      operationId: 'getHealth',
      summary: 'Liveness and readiness: the database and Kafka',
      tags: ['health'],
      security: [],
      responses: {
        200: { description: 'Every dependency is up', ...jsonBody(schemaRef('HealthReport')) },
        503: { description: 'At least one dependency is down', ...jsonBody(schemaRef('HealthReport')) },
      },
    },
  };
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

/** The whole document; throws when it is inconsistent (a dangling $ref, an undeclared path parameter). */
export function openApiDocument(input: OpenApiDocumentInput): OpenApiDocument {
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: input.title,
      version: input.version,
      description: `${input.description}\n\n${SHARED_DESCRIPTION}`,
    },
    paths: input.paths,
    components: {
      schemas: componentSchemas({
        Problem: problemSchema,
        HealthReport: healthReportSchema,
        ...input.schemas,
      }),
      parameters: input.parameters ?? {},
      securitySchemes: {
        [BEARER_AUTH]: {
          type: 'http',
          scheme: 'bearer',
          description: 'The API key of the calling client: `Authorization: Bearer <api key>`',
        },
      },
    },
    security: [{ [BEARER_AUTH]: [] }],
  };
  const problems = findOpenApiProblems(document);
  if (problems.length > 0) throw new Error(`invalid OpenAPI document:\n  ${problems.join('\n  ')}`);
  return document;
}

/**
 * A minimal structural check (no validator package): every $ref resolves, every operation has a
 * unique operationId and at least one response, and each path's `{parameters}` are declared.
 */
export function findOpenApiProblems(document: OpenApiDocument): string[] {
  const problems = danglingRefs(document);
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (operationIds.has(operation.operationId))
        problems.push(`${where}: operationId ${operation.operationId} is not unique`);
      operationIds.add(operation.operationId);
      if (Object.keys(operation.responses).length === 0) problems.push(`${where}: no responses`);
      const declared = (operation.parameters ?? [])
        .map((parameter) => resolveParameter(document, parameter))
        .filter((parameter) => parameter?.in === 'path')
        .map((parameter) => parameter?.name);
      for (const name of templated)
        if (!declared.includes(name)) problems.push(`${where}: path parameter {${name}} is not declared`);
      for (const name of declared)
        if (!templated.includes(name)) problems.push(`${where}: path parameter ${name} is not in the path`);
    }
  }
  return problems;
}

function resolveParameter(
  document: OpenApiDocument,
  parameter: ParameterObject | ReferenceObject,
): ParameterObject | undefined {
  if (!('$ref' in parameter)) return parameter;
  return document.components.parameters[parameter.$ref.slice(PARAMETERS_PATH.length)];
}

/** Every `$ref` anywhere in the document, checked against the components it points into. */
function danglingRefs(document: OpenApiDocument): string[] {
  const problems: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !resolvesLocally(document, value))
        problems.push(`$ref ${value} does not resolve`);
      else visit(value);
    }
  };
  visit(document);
  return problems;
}

function resolvesLocally(document: OpenApiDocument, ref: string): boolean {
  if (!ref.startsWith('#/')) return false;
  let node: unknown = document;
  for (const segment of ref.slice(2).split('/')) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}
