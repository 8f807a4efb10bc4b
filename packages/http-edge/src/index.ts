// @oncepay/http-edge: the HTTP edge every service answers through, in Nest on Fastify: the adapter and
// its body rules, API keys, problem+json errors, zod validation, and the OpenAPI document at /docs.
// Nothing here knows about Kafka or the database.
export { ApiKeyGuard, ClientId, ClientRole, roleRequired } from './api-key.guard';
export {
  apiKeyDigest,
  apiKeysSchema,
  DEV_API_CLIENTS,
  DEV_API_KEYS,
  findApiClient,
  mintApiKey,
  ROLES,
  type ApiClient,
  type ApiKeys,
  type Role,
} from './api-keys';
export {
  configureHttp,
  createHttpAdapter,
  CORRELATION_HEADER,
  MAX_BODY_BYTES,
  type HttpEdgeOptions,
} from './http';
export {
  apiProblemResponses,
  documents,
  jsonContent,
  MINOR_UNITS_NOTE,
  openApiDocument,
  pageSchema,
  problemResponse,
  problemResponses,
  registerIdempotencyKey,
  serviceApiRegistry,
  type Describes,
  type OpenApiDocument,
} from './openapi';
export { DOCS_PATH, OPENAPI_DOCUMENT, OPENAPI_JSON_PATH } from './openapi-docs';
export {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsFilter,
  ProblemException,
  problemDocument,
  RETRY_AFTER_SECONDS,
  type ProblemDocument,
} from './problem-details';
export { cursorTimeSchema } from './cursor-time';
export { idempotencyKeySchema } from './idempotency-key';
export { pageLimitSchema } from './page-limit';
export {
  assertTrailReader,
  inTimeOrder,
  registerTrailPath,
  TRAIL_KINDS,
  TRAIL_MARKS,
  TRAIL_PATH,
  TRAIL_SERVICES,
  type Trail,
  type TrailEntry,
  type TrailKind,
  type TrailMark,
  type TrailService,
} from './trail';
export { ZodValidationPipe } from './zod-validation.pipe';
