// Proves the documentation says what the code does: every number, default, environment variable,
// port, status code, topic, event type and enum value that README.md and docs/**.md state agrees with
// the code, read by import wherever the code exports it. It needs no database or broker, and it first
// runs the checker on the real docs with a wrong default (and other planted errors) written in, so a
// drifted doc is known to fail the run.
//
// What it checks, and how to fix a failure (each failure names the file, the line and both values):
// - Generated regions (`<!-- generated:<id> -->` ... `<!-- /generated -->`, scripts/docs/generated-regions.ts)
//   must hold what the code writes: run `npm run docs:generate` and commit the result.
// - CLAIMS and LIST_CLAIMS below: each pattern must be found in its doc, and what it captures must be
//   the code's value (or list). Fix the doc; the expected value always comes from the code. A claim
//   whose phrase was reworded is "no longer found": reword its pattern with the doc.
// - Defaults anywhere: `VARIABLE` (default N) or `VARIABLE_MS` (N s) states the schema's default.
// - Names: an UPPER_CASE name, a backticked camel-case name or `Class.member`, anywhere in the docs,
//   must occur in the code (FOREIGN_NAMES lists other systems' names); a backticked repository path
//   must exist; a topic or an event type must exist in packages/contracts; the README's configuration
//   table lists exactly the variables the services validate, and its layout every folder of packages/,
//   apps/ and scripts/.
// - Endpoints: each `request | answers` row of docs/architecture.md names an operation of its
//   service's OpenAPI document (built by apps/*/src/openapi.ts, as served), every status code it states
//   is one the document declares, its success codes are the document's, its `limit` bounds are the
//   parameter's, and every /v1 operation has a row; the errors table gives each code the status the
//   documents give it.
// - No bare `#12`-style issue reference: the issues are not in the repository. Link an external one.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { DEFAULT_HOLD_GRACE_MS, DEFAULT_PAGE_SIZE } from '../apps/auditor/src/auditor';
import { buildOpenApiDocument as ledgerOpenApi } from '../apps/ledger-service/src/openapi';
import { envSchema as ledgerEnv } from '../apps/ledger-service/src/config/config';
import { POST_TRANSFER_CONSUMER } from '../apps/ledger-service/src/postings/post-transfer/post-transfer.handler';
import { buildOpenApiDocument as notificationOpenApi } from '../apps/notification-service/src/openapi';
import { envSchema as notificationEnv } from '../apps/notification-service/src/config/config';
import { RECORD_OUTCOME_CONSUMER } from '../apps/notification-service/src/notifications/record-outcome/record-outcome.handler';
import { NOTIFICATION_STATUSES } from '../apps/notification-service/src/notifications/domain/notification';
import { WEBHOOK_EVENT_TYPES } from '../apps/notification-service/src/notifications/domain/webhook-event-type';
import {
  DEFAULT_OVERLAP_SECONDS,
  MAX_OVERLAP_SECONDS,
} from '../apps/notification-service/src/webhooks/manage-endpoints/webhook-endpoint.requests';
import { MAX_ENABLED_ENDPOINTS_PER_CLIENT } from '../apps/notification-service/src/webhooks/manage-endpoints/webhook-endpoints.handler';
import { buildOpenApiDocument as transferOpenApi } from '../apps/transfer-service/src/openapi';
import {
  MAX_HOLD_SECONDS,
  referenceSchema,
} from '../apps/transfer-service/src/transfers/request-transfer/request-transfer.dto';
import { envSchema as transferEnv } from '../apps/transfer-service/src/config/config';
import { RECORD_LEDGER_RESULT_CONSUMER } from '../apps/transfer-service/src/transfers/record-ledger-result/record-ledger-result.handler';
import {
  ACCEPT_BATCHES_IN_FLIGHT,
  MAX_ACCEPT_BATCH,
} from '../apps/transfer-service/src/transfers/request-transfer/accept-batcher';
import { EVENT_TYPES, REJECTION_REASONS, TOPICS } from '@oncepay/contracts';
import { MIN_IDEMPOTENCY_KEY_RETENTION_MS } from '@oncepay/dedup';
import { DEV_API_CLIENTS, idempotencyKeySchema, MAX_BODY_BYTES } from '@oncepay/http-edge';
import { backoffDelayMs, METADATA_MAX_AGE_MS } from '@oncepay/messaging';
import { RETENTION_BOUNDS, TRAIL_ROWS_PER_KIND } from '@oncepay/service-runtime';
import { NEXT_STATUSES } from '@oncepay/transfer-state-machine';
import { GENERATED_REGIONS, regionContent, regionText } from '../scripts/docs/generated-regions';
import { DEFAULT_CRASHES_PER_POINT, DEFAULT_TRANSFERS } from '../scripts/lab/cli-options';
import { SERVICES } from '../scripts/infra/services';
import { SERVICE_TABLE_PRIVILEGES } from '../scripts/db/roles';
import { envSchema as consoleEnvSchema } from '../apps/console/src/config/config';
import { DEV_ROLE_PASSWORD } from '../scripts/infra/stack-config';

const REPO_ROOT = path.resolve(__dirname, '..');

/** Markdown text by path relative to the repository root: README.md and docs/**.md. */
type Docs = Record<string, string>;

interface Problem {
  file: string;
  line: number;
  message: string;
}

function loadDocs(root: string): Docs {
  const docs: Docs = {};
  const add = (file: string): void => {
    docs[path.relative(root, file)] = fs.readFileSync(file, 'utf8');
  };
  add(path.join(root, 'README.md'));
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.md')) add(full);
    }
  };
  walk(path.join(root, 'docs'));
  return docs;
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split('\n').length;

// ---------------------------------------------------------------------------------------------------
// The code's values, as the docs write them.

type ServiceName = 'transfer' | 'ledger' | 'notification';
const ENV_SCHEMAS: Record<ServiceName, z.ZodObject> = {
  transfer: transferEnv,
  ledger: ledgerEnv,
  notification: notificationEnv,
};

/** A variable's default in a service's schema (what zod gives when it is unset). */
function envDefault(name: string, service: ServiceName = 'transfer'): number | string | boolean {
  const field = ENV_SCHEMAS[service].shape[name] as z.ZodType | undefined;
  if (!field) throw new Error(`the ${service}-service's schema has no ${name}`);
  const value: unknown = field.parse(undefined);
  if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean')
    throw new Error(`${name} has no default`);
  return value;
}
const num = (name: string, service?: ServiceName): number => Number(envDefault(name, service));

/** `10000` → `10 s`, `1500` → `1.5 s`, the way the docs write durations. */
const seconds = (ms: number): string => `${ms / 1000} s`;

/**
 * How long a notification is retried with the default settings, from its first attempt to its last:
 * the sum of the delays between them, each drawn between half its ceiling and all of it (backoffDelayMs).
 * `about 9 to 18`, the bounds in whole hours.
 */
function notificationRetryWindow(): string {
  const policy = {
    initialMs: num('NOTIFICATION_BACKOFF_INITIAL_MS', 'notification'),
    maxMs: num('NOTIFICATION_BACKOFF_MAX_MS', 'notification'),
  };
  const retries = Array.from(
    { length: num('NOTIFICATION_MAX_ATTEMPTS', 'notification') - 1 },
    (_, i) => i + 1,
  );
  const hours = (random: number) =>
    Math.round(
      retries.reduce((sum, attempt) => sum + backoffDelayMs(policy, attempt, () => random), 0) / 3_600_000,
    );
  return `about ${hours(0)} to ${hours(1)}`;
}

/**
 * A numeric constant the code keeps private to its module, read from its source because the test may
 * not reach into the module: `const NAME = 1_000;` or `name ?? 1_000` (an option's default).
 */
function sourceNumber(file: string, pattern: RegExp): number {
  const source = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const literal = pattern.exec(source)?.[1];
  if (literal === undefined)
    throw new Error(`${file} no longer matches ${String(pattern)}: update the claim`);
  return Number(literal.replace(/_/g, ''));
}

const RELAY = 'packages/messaging/src/outbox-relay.ts';
const relaySafetyPollMs = sourceNumber(RELAY, /safetyPollMs \?\? ([\d_]+)/);
const relayBatchSize = sourceNumber(RELAY, /batchSize \?\? ([\d_]+)/);
const relayMaxBatchSize = sourceNumber(RELAY, /const MAX_BATCH_SIZE = ([\d_]+)/);
const relayBackoffInitialMs = sourceNumber(RELAY, /backoff \?\? \{ initialMs: ([\d_]+)/);
const relayBackoffMaxMs = sourceNumber(RELAY, /backoff \?\? \{ initialMs: [\d_]+, maxMs: ([\d_]+)/);
const retryAfterSeconds = sourceNumber(
  'packages/http-edge/src/problem-details.ts',
  /const RETRY_AFTER_SECONDS = ([\d_]+)/,
);
const poolConnectionTimeoutMs = sourceNumber(
  'packages/service-runtime/src/service-core.module.ts',
  /connectionTimeoutMillis: ([\d_]+)/,
);
const idempotencyKeyAttempts = sourceNumber(
  'packages/dedup/src/idempotency-keys.ts',
  /const MAX_ATTEMPTS = (\d+)/,
);
const TOPOLOGY = 'packages/messaging/src/topology.ts';
const ensureTopicsAttempts = sourceNumber(TOPOLOGY, /const MAX_ATTEMPTS = (\d+)/);
const ensureTopicsBackoffInitialMs = sourceNumber(TOPOLOGY, /const BACKOFF = \{ initialMs: ([\d_]+)/);
const ensureTopicsBackoffMaxMs = sourceNumber(
  TOPOLOGY,
  /const BACKOFF = \{ initialMs: [\d_]+, maxMs: ([\d_]+)/,
);

const CONSUMER = 'packages/messaging/src/consumer-runner.ts';
const consumerAttempts = sourceNumber(CONSUMER, /maxAttempts \?\? (\d+)/);
const consumerBackoffInitialMs = sourceNumber(CONSUMER, /backoff \?\? \{ initialMs: ([\d_]+)/);
const consumerBackoffMaxMs = sourceNumber(CONSUMER, /backoff \?\? \{ initialMs: [\d_]+, maxMs: ([\d_]+)/);
const KAFKA_CLIENT = 'packages/messaging/src/kafka-client.ts';
const kafkaRetries = sourceNumber(KAFKA_CLIENT, /retry: \{ initialRetryTime: [\d_]+, retries: (\d+)/);
const kafkaInitialRetryMs = sourceNumber(KAFKA_CLIENT, /retry: \{ initialRetryTime: ([\d_]+)/);
const kafkaMaxRetryMs = sourceNumber(KAFKA_CLIENT, /retries: \d+, maxRetryTime: ([\d_]+)/);

const servicePort = (name: ServiceName): number => num('PORT', name);

/** The local stack's default port behind `variable` (stackConfig itself holds the value the environment set). */
const stackPort = (variable: string): number =>
  sourceNumber('scripts/infra/stack-config.ts', new RegExp(`portFromEnv\\('${variable}', ([\\d_]+)\\)`));

/** The longest string of `a`s a schema accepts (up to 10,000): its length limit, by its behaviour. */
function longestAccepted(schema: z.ZodType): number {
  let longest = 0;
  while (longest < 10_000 && schema.safeParse('a'.repeat(longest + 1)).success) longest += 1;
  return longest;
}

/** 86400 → `a day`, 604800 → `a week`: how the docs say these spans. */
function inWords(seconds: number): string {
  const words: Record<number, string> = { 3_600: 'an hour', 86_400: 'a day', 604_800: 'a week' };
  return words[seconds] ?? `${seconds} s`;
}

// ---------------------------------------------------------------------------------------------------
// Claims: a phrase of a doc and the value the code says it must state.

interface Claim {
  file: string;
  /** What is claimed, for the failure message. */
  what: string;
  /** Finds the claim; group 1 is the value stated. Every occurrence must state the expected value. */
  pattern: RegExp;
  expected: string;
}

const claim = (file: string, what: string, pattern: RegExp, expected: number | string): Claim => ({
  file,
  what,
  pattern,
  expected: String(expected),
});

const README = 'README.md';
const ARCH = 'docs/architecture.md';
const SEMANTICS = 'docs/delivery-semantics.md';
const ADR_OUTBOX = 'docs/adr/0001-transactional-outbox-over-dual-writes.md';
const ADR_RETENTION = 'docs/adr/0010-retention-batched-deletes-under-a-time-budget.md';
const ADR_TRAIL = 'docs/adr/0013-the-transfer-trail.md';
const ADR_GROUP_COMMIT = 'docs/adr/0014-group-commit-of-accepts.md';
const PERFORMANCE = 'docs/performance.md';

/** A value stated in the README's configuration table on the variable's row; by default its schema default. */
const readmeDefault = (
  name: string,
  pattern: string,
  expected: number | string = envDefault(name).toString(),
): Claim => claim(README, `${name}'s default`, new RegExp(`\\| \`${name}\`[^\\n]*?${pattern}`), expected);

/** Each `| \`VARIABLE\` (default) |` row of the knobs table in docs/performance.md, for every variable a service validates. */
function knobClaims(): Claim[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'performance.md'), 'utf8');
  const names = [...text.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \(/gm)].map((match) => match[1] ?? '');
  return names
    .filter((name) => name in transferEnv.shape)
    .map((name) => {
      const value = envDefault(name);
      return claim(
        'docs/performance.md',
        `${name}'s default (knobs)`,
        new RegExp(`^\\| \`${name}\` \\(([^)]+)\\)`, 'm'),
        typeof value === 'number' ? value : `\`${String(value)}\``,
      );
    });
}

const CLAIMS: Claim[] = [
  // README, the local stack: ports and the role password.
  claim(README, 'PostgreSQL port', /starts PostgreSQL on (\d+)/, stackPort('ONCEPAY_POSTGRES_PORT')),
  claim(README, 'Kafka port', /Kafka on (\d+) \(controller/, stackPort('ONCEPAY_KAFKA_PORT')),
  claim(README, 'Kafka controller port', /\(controller (\d+)\)/, stackPort('ONCEPAY_KAFKA_CONTROLLER_PORT')),
  claim(
    README,
    'PostgreSQL port (compose)',
    /PostgreSQL at `127\.0\.0\.1:(\d+)`/,
    stackPort('ONCEPAY_POSTGRES_PORT'),
  ),
  claim(README, 'Kafka port (compose)', /Kafka at `127\.0\.0\.1:(\d+)`/, stackPort('ONCEPAY_KAFKA_PORT')),
  claim(README, 'role password', /`ONCEPAY_ROLE_PASSWORD`, default\s+`([^`]+)`/, DEV_ROLE_PASSWORD),
  ...SERVICES.map((service) =>
    claim(
      README,
      `${service.name}-service port`,
      new RegExp(`\\| ${service.name}-service +\\| (\\d+) +\\| http://127\\.0\\.0\\.1:\\d+/health`),
      service.defaultPort,
    ),
  ),
  ...SERVICES.map((service) =>
    claim(
      README,
      `${service.name}-service health URL`,
      new RegExp(`\\| ${service.name}-service +\\| \\d+ +\\| http://127\\.0\\.0\\.1:(\\d+)/health`),
      service.defaultPort,
    ),
  ),
  claim(
    README,
    "the services' default ports",
    /\| `PORT` +\| HTTP port \(([\d, ]+) by default\)/,
    (['transfer', 'ledger', 'notification'] as const).map(servicePort).join(', '),
  ),
  // README, the dev API clients.
  ...Object.values(DEV_API_CLIENTS).map((client) =>
    claim(
      README,
      `${client.clientId}'s dev key`,
      new RegExp(`\`${client.clientId}\` \\((?:key )?\`([^\`]+)\`\\)`),
      client.key,
    ),
  ),
  // README, the configuration table.
  readmeDefault('DATABASE_POOL_SIZE', '\\(default (\\d+)\\)'),
  readmeDefault('KAFKA_PARTITIONS', '\\(default (\\d+)\\)'),
  readmeDefault('CONSUMER_MAX_BATCH_SIZE', '\\(default (\\d+);'),
  readmeDefault('BATCH_LINGER_MS', '\\(default (\\d+);'),
  readmeDefault('OUTBOX_MAX_ATTEMPTS', '\\(default (\\d+);'),
  readmeDefault('NODE_ENV', '\\(default `([a-z]+)`'),
  readmeDefault('ALLOW_DEV_API_KEYS', '\\(default `([a-z]+)`\\)'),
  readmeDefault('RATE_LIMIT_MAX', '\\(default (\\d+) per'),
  readmeDefault('RATE_LIMIT_MAX', '\\(default \\d+ per (\\d+) ms\\)', num('RATE_LIMIT_WINDOW_MS')),
  readmeDefault('HTTP_REQUEST_TIMEOUT_MS', '\\(default (\\d+)\\)'),
  readmeDefault('DATABASE_STATEMENT_TIMEOUT_MS', '\\(default (\\d+)\\)'),
  readmeDefault('LOG_LEVEL', '`([a-z]+)` \\(default\\)'),
  readmeDefault('PROCESSED_MESSAGES_RETENTION_HOURS', '\\(default (\\d+);'),
  readmeDefault('OUTBOX_SENT_RETENTION_HOURS', '\\(default (\\d+)\\)'),
  readmeDefault(
    'RETENTION_INTERVAL_MS',
    'cleanup runs \\(default ([\\d.]+ s)\\)',
    seconds(num('RETENTION_INTERVAL_MS')),
  ),
  readmeDefault(
    'RETENTION_INTERVAL_MS',
    'per table \\(default ([\\d.]+ s)\\)',
    seconds(num('RETENTION_BUDGET_MS')),
  ),
  readmeDefault('HOLD_EXPIRY_INTERVAL_MS', 'expiry \\(default (\\d+) ms\\)'),
  readmeDefault('HOLD_EXPIRY_INTERVAL_MS', 'transaction \\(default (\\d+)\\)', num('HOLD_EXPIRY_BATCH_SIZE')),
  readmeDefault(
    'NOTIFICATION_CHANNEL',
    '`([a-z]+)` \\(default\\)',
    envDefault('NOTIFICATION_CHANNEL', 'notification').toString(),
  ),
  claim(
    README,
    'OUTBOX_MAX_ATTEMPTS (parked rows)',
    /`OUTBOX_MAX_ATTEMPTS` \((\d+)\) failed sends/,
    num('OUTBOX_MAX_ATTEMPTS'),
  ),
  // docs/delivery-semantics.md, the lab's defaults.
  claim(SEMANTICS, 'lab transfers default', /a random seed \(printed\), (\d+) transfers/, DEFAULT_TRANSFERS),
  claim(SEMANTICS, 'lab crashes default', /(\d+) crashes per point/, DEFAULT_CRASHES_PER_POINT),
  // The transfer trail's per-kind row limit.
  claim(
    ARCH,
    'trail rows per kind',
    /a trail shows at most ([\d,]+) rows of each kind/,
    TRAIL_ROWS_PER_KIND.toLocaleString('en-US'),
  ),
  claim(
    ADR_TRAIL,
    'trail rows per kind',
    /reads at most ([\d,]+) rows of its kind/,
    TRAIL_ROWS_PER_KIND.toLocaleString('en-US'),
  ),
  // docs/architecture.md: ports, limits, timeouts.
  claim(ARCH, 'transfer-service port', /### transfer-service \(port (\d+)\)/, servicePort('transfer')),
  claim(ARCH, 'ledger-service port', /### ledger-service \(port (\d+)\)/, servicePort('ledger')),
  claim(
    ARCH,
    'notification-service port',
    /### notification-service \(port (\d+)\)/,
    servicePort('notification'),
  ),
  claim(ARCH, 'transfer-service port (table)', /\| transfer-service +\| (\d+) +\|/, servicePort('transfer')),
  claim(ARCH, 'ledger-service port (table)', /\| ledger-service +\| (\d+) +\|/, servicePort('ledger')),
  claim(
    ARCH,
    'notification-service port (table)',
    /\| notification-service +\| (\d+) +\|/,
    servicePort('notification'),
  ),
  claim(
    ARCH,
    'RATE_LIMIT_MAX default',
    /`RATE_LIMIT_MAX`\s+requests \(default (\d+)\)/,
    num('RATE_LIMIT_MAX'),
  ),
  claim(
    ARCH,
    'RATE_LIMIT_WINDOW_MS default',
    /`RATE_LIMIT_WINDOW_MS` \(default ([\d.]+ s)\)/,
    seconds(num('RATE_LIMIT_WINDOW_MS')),
  ),
  claim(
    ARCH,
    'HTTP_REQUEST_TIMEOUT_MS default',
    /`HTTP_REQUEST_TIMEOUT_MS` \(default ([\d.]+ s)\)/,
    seconds(num('HTTP_REQUEST_TIMEOUT_MS')),
  ),
  claim(
    ARCH,
    'DATABASE_STATEMENT_TIMEOUT_MS default',
    /`DATABASE_STATEMENT_TIMEOUT_MS` \(default ([\d.]+ s)\)/,
    seconds(num('DATABASE_STATEMENT_TIMEOUT_MS')),
  ),
  claim(ARCH, '503 Retry-After', /`Retry-After: (\d+)`/, retryAfterSeconds),
  claim(ARCH, '503 pool wait', /no free pooled connection in ([\d.]+ s)/, seconds(poolConnectionTimeoutMs)),
  claim(ARCH, 'body limit', /a body over (\d+) KiB/, MAX_BODY_BYTES / 1024),
  claim(
    ARCH,
    'hold expiry interval',
    /`HOLD_EXPIRY_INTERVAL_MS` \(([\d.]+ s)\)/,
    seconds(num('HOLD_EXPIRY_INTERVAL_MS')),
  ),
  claim(ARCH, 'hold expiry batch', /`HOLD_EXPIRY_BATCH_SIZE` \((\d+)\)/, num('HOLD_EXPIRY_BATCH_SIZE')),
  claim(
    ARCH,
    'NOTIFICATION_MAX_ATTEMPTS default',
    /`NOTIFICATION_MAX_ATTEMPTS` \(default (\d+)\)/,
    num('NOTIFICATION_MAX_ATTEMPTS', 'notification'),
  ),
  claim(
    ARCH,
    'notification retry window',
    /`NOTIFICATION_MAX_ATTEMPTS` \(default \d+\) over (about \d+ to \d+) hours/,
    notificationRetryWindow(),
  ),
  claim(
    ARCH,
    'webhook retry window',
    /or none, is tried again, with backoff, for\s+(about \d+ to \d+) hours/,
    notificationRetryWindow(),
  ),
  claim(ARCH, 'metadata max age', /`METADATA_MAX_AGE_MS` \(([\d.]+ s),/, seconds(METADATA_MAX_AGE_MS)),
  claim(
    ARCH,
    'idempotency key lifetime',
    /Keys live (\d+) hours/,
    MIN_IDEMPOTENCY_KEY_RETENTION_MS / 3_600_000,
  ),
  // docs/delivery-semantics.md: the relay, retention and retry bounds.
  claim(SEMANTICS, 'relay safety poll', /a ([\d.]+ s) safety poll/, seconds(relaySafetyPollMs)),
  claim(
    SEMANTICS,
    'retention interval',
    /RetentionJob\]\([^)]*\)\s+runs it every ([\d.]+ s)/,
    seconds(num('RETENTION_INTERVAL_MS')),
  ),
  claim(
    SEMANTICS,
    'OUTBOX_MAX_ATTEMPTS default',
    /`OUTBOX_MAX_ATTEMPTS` \(default (\d+)\)/,
    num('OUTBOX_MAX_ATTEMPTS'),
  ),
  claim(
    SEMANTICS,
    'OUTBOX_MAX_ATTEMPTS (table)',
    /a failing row: `OUTBOX_MAX_ATTEMPTS` \((\d+)\)/,
    num('OUTBOX_MAX_ATTEMPTS'),
  ),
  claim(
    SEMANTICS,
    'relay backoff',
    /backoff (\d+ ms to \d+ s) per pass/,
    `${relayBackoffInitialMs} ms to ${relayBackoffMaxMs / 1000} s`,
  ),
  claim(
    SEMANTICS,
    'ensureTopics retries',
    /#ensureTopics\) +\| (\d+ attempts, \d+ ms to \d+ s)/,
    `${ensureTopicsAttempts} attempts, ${ensureTopicsBackoffInitialMs} ms to ${ensureTopicsBackoffMaxMs / 1000} s`,
  ),
  claim(
    SEMANTICS,
    'writeOnceForKey attempts',
    /#writeOnceForKey\) +\| (\d+) attempts/,
    idempotencyKeyAttempts,
  ),
  claim(
    SEMANTICS,
    'NOTIFICATION_MAX_ATTEMPTS default',
    /`NOTIFICATION_MAX_ATTEMPTS` \(default (\d+)\)/,
    num('NOTIFICATION_MAX_ATTEMPTS', 'notification'),
  ),
  claim(
    SEMANTICS,
    'notification backoff',
    /`NOTIFICATION_BACKOFF_MAX_MS` \((\d+ s to \d+ h)\)/,
    `${num('NOTIFICATION_BACKOFF_INITIAL_MS', 'notification') / 1000} s to ${num('NOTIFICATION_BACKOFF_MAX_MS', 'notification') / 3_600_000} h`,
  ),
  claim(
    SEMANTICS,
    'notification retry window',
    /\(\d+ s to \d+ h\): (about \d+ to \d+) h in all/,
    notificationRetryWindow(),
  ),
  // docs/performance.md: the knobs' defaults.
  ...knobClaims(),
  claim(
    'docs/performance.md',
    "the relay's batch size",
    /the relay's `batchSize` \((\d+), in code\)/,
    relayBatchSize,
  ),
  claim(
    'docs/performance.md',
    'KAFKA_PARTITIONS default',
    /up to `KAFKA_PARTITIONS` \((\d+) by default/,
    num('KAFKA_PARTITIONS'),
  ),
  // The auditor's defaults.
  claim(
    README,
    'audit hold grace',
    /`--hold-grace-ms` past its expiry, (\d+) minutes by default/,
    DEFAULT_HOLD_GRACE_MS / 60_000,
  ),
  claim(
    README,
    'audit page size',
    /\(`--page-size`, ([\d,]+) rows by default\)/,
    DEFAULT_PAGE_SIZE.toLocaleString('en-US'),
  ),
  claim(ARCH, 'audit hold grace', /`--hold-grace-ms` \((\d+) minutes/, DEFAULT_HOLD_GRACE_MS / 60_000),
  // Retention: the windows, the interval and the batch.
  claim(
    ADR_RETENTION,
    'processed ids window',
    /#purgeProcessedMessages\),\s+(\d+) days by default/,
    num('PROCESSED_MESSAGES_RETENTION_HOURS') / 24,
  ),
  claim(
    ADR_RETENTION,
    'SENT rows window',
    /#purgeSentOutboxMessages\), (\d+) days\)/,
    num('OUTBOX_SENT_RETENTION_HOURS') / 24,
  ),
  claim(
    ADR_RETENTION,
    'key window',
    /#purgeExpiredIdempotencyKeys\),\s+(\d+) hours\)/,
    MIN_IDEMPOTENCY_KEY_RETENTION_MS / 3_600_000,
  ),
  claim(
    ADR_RETENTION,
    'interval (title)',
    /^# ADR 0010: .*every (\d+) seconds$/m,
    num('RETENTION_INTERVAL_MS') / 1000,
  ),
  claim(
    ADR_RETENTION,
    'delete batch',
    /deletes batches of ([\d,]+) rows/,
    RETENTION_BOUNDS.batchSize.toLocaleString('en-US'),
  ),
  claim(
    'docs/adr/README.md',
    'retention interval',
    /Retention deletes expired rows every ([\d.]+ s)/,
    seconds(num('RETENTION_INTERVAL_MS')),
  ),
  claim(
    'docs/adr/README.md',
    'retention batch',
    /in ([\d,]+)-row DELETEs/,
    RETENTION_BOUNDS.batchSize.toLocaleString('en-US'),
  ),
  claim(
    'docs/adr/0003-dedup-record-in-the-effect-transaction.md',
    'retention interval',
    /in batches, run every ([\d.]+ s) by each/,
    seconds(num('RETENTION_INTERVAL_MS')),
  ),
  claim(
    'docs/performance.md',
    'retention interval and batch',
    /^(\d+ s, in [\d,]+-row DELETEs)/m,
    `${seconds(num('RETENTION_INTERVAL_MS'))}, in ${RETENTION_BOUNDS.batchSize.toLocaleString('en-US')}-row DELETEs`,
  ),
  // The consumer runner's and Kafka client's retry bounds.
  claim(
    SEMANTICS,
    'consumer retries',
    /#ConsumerRunner\.processBatch\) +\| (\d+ attempts, \d+ ms to \d+ s)/,
    `${consumerAttempts} attempts, ${consumerBackoffInitialMs} ms to ${consumerBackoffMaxMs / 1000} s`,
  ),
  claim(SEMANTICS, 'dead letter after maxAttempts', /after `maxAttempts` \((\d+)\)/, consumerAttempts),
  claim(
    SEMANTICS,
    'kafkajs retries',
    /kafkajs retries: (\d+, \d+ ms to \d+ s)/,
    `${kafkaRetries}, ${kafkaInitialRetryMs} ms to ${kafkaMaxRetryMs / 1000} s`,
  ),
  claim(SEMANTICS, 'producer retries', /bounded retries \((\d+)\)/, kafkaRetries),
  // Request limits, read from the schemas the controllers validate with.
  claim(ARCH, 'hold expiry bound', /`"hold": \{"expiresInSeconds": 1\.\.(\d+)\}`/, MAX_HOLD_SECONDS),
  claim(ARCH, 'reference length', /`reference` \(1 to (\d+) characters/, longestAccepted(referenceSchema)),
  claim(
    ARCH,
    'Idempotency-Key length',
    /POST of the transfer API: 1 to (\d+) visible ASCII/,
    longestAccepted(idempotencyKeySchema),
  ),
  claim(
    ARCH,
    'webhook endpoints per client',
    /`409 TOO_MANY_WEBHOOK_ENDPOINTS` \((\d+) enabled per client\)/,
    MAX_ENABLED_ENDPOINTS_PER_CLIENT,
  ),
  ...[ARCH, 'docs/adr/0011-per-client-webhooks.md'].flatMap((file) => [
    claim(
      file,
      'rotation overlap default',
      /\(default (a \w+), at most a \w+\)/,
      inWords(DEFAULT_OVERLAP_SECONDS),
    ),
    claim(file, 'rotation overlap bound', /\(default a \w+, at most (a \w+)\)/, inWords(MAX_OVERLAP_SECONDS)),
  ]),
  // ADR 0001: the relay's defaults.
  claim(ADR_OUTBOX, 'relay safety poll', /a ([\d.]+ s) safety poll/, seconds(relaySafetyPollMs)),
  claim(ADR_OUTBOX, 'relay batch size', /`batchSize`\s+\(default (\d+),/, relayBatchSize),
  claim(
    ADR_OUTBOX,
    'relay batch size bound',
    /`batchSize`\s+\(default \d+, at most ([\d,]+)\)/,
    relayMaxBatchSize.toLocaleString('en-US'),
  ),
  claim(
    ADR_OUTBOX,
    'relay backoff',
    /(\d+ ms to \d+ s)\)\./,
    `${relayBackoffInitialMs} ms to ${relayBackoffMaxMs / 1000} s`,
  ),
  claim(ADR_OUTBOX, 'OUTBOX_MAX_ATTEMPTS', /`OUTBOX_MAX_ATTEMPTS` \((\d+)\)/, num('OUTBOX_MAX_ATTEMPTS')),
  // The accept group commit's bounds, in the ADR and the performance notes.
  ...[ADR_GROUP_COMMIT, PERFORMANCE].flatMap((file) => [
    claim(file, 'accept batch size', /`MAX_ACCEPT_BATCH` \((\d+)\)/, MAX_ACCEPT_BATCH),
    claim(file, 'accept batches in flight', /`ACCEPT_BATCHES_IN_FLIGHT` \((\d+)\)/, ACCEPT_BATCHES_IN_FLIGHT),
  ]),
  claim(
    ADR_OUTBOX,
    'SENT retention',
    /`OUTBOX_SENT_RETENTION_HOURS` \(default (\d+)\)/,
    num('OUTBOX_SENT_RETENTION_HOURS'),
  ),
];

function checkClaims(docs: Docs, claims: readonly Claim[]): Problem[] {
  const problems: Problem[] = [];
  for (const { file, what, pattern, expected } of claims) {
    const text = docs[file];
    if (text === undefined) {
      problems.push({ file, line: 0, message: `${what}: the file is missing` });
      continue;
    }
    const matches = [
      ...text.matchAll(
        new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
      ),
    ];
    if (matches.length === 0)
      problems.push({
        file,
        line: 0,
        message: `${what}: no longer found (${String(pattern)}); reword the claim with the doc`,
      });
    for (const match of matches) {
      const stated = match[1];
      if (stated !== expected)
        problems.push({
          file,
          line: lineAt(text, match.index),
          message: `${what}: the doc says ${stated}, the code ${expected}`,
        });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Lists: the backticked items of one phrase must be exactly the code's list.

interface ListClaim {
  file: string;
  what: string;
  /** Group 1 holds the list; its items are the backticked words `item` matches. */
  pattern: RegExp;
  item: RegExp;
  expected: readonly string[];
}

const LIST_CLAIMS: ListClaim[] = [
  // Each service database's tables, in the services table and in the diagram, as the roles grant them.
  ...(['transfer', 'ledger', 'notification'] as const).flatMap((service): ListClaim[] => [
    {
      file: ARCH,
      what: `the tables of oncepay_${service}`,
      pattern: new RegExp(`\\| \`oncepay_${service}\`: ([^|]*)\\|`),
      item: /`([a-z_]+)`/g,
      expected: Object.keys(SERVICE_TABLE_PRIVILEGES[service]),
    },
    {
      file: ARCH,
      what: `the tables of oncepay_${service} in the diagram`,
      pattern: new RegExp(`\\("oncepay_${service}: ([a-z_, ]*)"\\)`),
      item: /([a-z_]+)/g,
      expected: Object.keys(SERVICE_TABLE_PRIVILEGES[service]),
    },
  ]),
  {
    file: 'docs/adr/0003-dedup-record-in-the-effect-transaction.md',
    what: 'the consumer names',
    pattern: /includes\s+the consumer name \(([^)]*)\)/,
    item: /`([a-z.-]+)`/g,
    expected: [POST_TRANSFER_CONSUMER, RECORD_LEDGER_RESULT_CONSUMER, RECORD_OUTCOME_CONSUMER],
  },
  {
    file: ARCH,
    what: "a transfer's statuses",
    pattern: /`id`, `status` \(([^)]*)\)/,
    item: /`([A-Z_]+)`/g,
    expected: Object.keys(NEXT_STATUSES),
  },
  {
    file: ARCH,
    what: "a transfer's failure reasons",
    pattern: /\[REJECTION_REASONS\]\([^)]*\)\s+code: ([\s\S]*?),\s+`kind`/,
    item: /`([A-Z_]+)`/g,
    expected: REJECTION_REASONS,
  },
  {
    file: ARCH,
    what: "a notification's statuses",
    pattern: /`failureReason`, `status` \(([^)]*)\)/,
    item: /`([A-Z_]+)`/g,
    expected: NOTIFICATION_STATUSES,
  },
  {
    file: ARCH,
    what: 'the webhook event types',
    pattern: /events of its own transfers only:\s([\s\S]*?)\(\[webhookEventTypeOf/,
    item: /`([a-z]+\.[a-z]+)`/g,
    expected: WEBHOOK_EVENT_TYPES,
  },
  {
    file: README,
    what: 'the webhook event types',
    pattern: /events of its own transfers only\s\(([\s\S]*?)\), signed/,
    item: /`([a-z]+\.[a-z]+)`/g,
    expected: WEBHOOK_EVENT_TYPES,
  },
];

function checkListClaims(docs: Docs, claims: readonly ListClaim[]): Problem[] {
  const problems: Problem[] = [];
  for (const { file, what, pattern, item, expected } of claims) {
    const text = docs[file] ?? '';
    const match = pattern.exec(text);
    if (!match) {
      problems.push({
        file,
        line: 0,
        message: `${what}: no longer found (${String(pattern)}); reword the claim with the doc`,
      });
      continue;
    }
    const stated = [...(match[1] ?? '').matchAll(item)].map((found) => found[1] ?? '');
    const missing = expected.filter((value) => !stated.includes(value));
    const unknown = stated.filter((value) => !expected.includes(value));
    if (missing.length > 0 || unknown.length > 0)
      problems.push({
        file,
        line: lineAt(text, match.index),
        message: `${what}: missing ${missing.join(', ') || 'nothing'}; not in the code: ${unknown.join(', ') || 'nothing'}`,
      });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Names: the names, paths, topics and event types the docs use exist in the code; the README lists
// every variable and folder.

/** Source files whose words count as "in the code": sources, schemas, migrations, compose, configuration. */
function codeWords(root: string): Set<string> {
  const words = new Set<string>();
  const skip = new Set(['node_modules', 'dist', 'generated', '.turbo', 'coverage']);
  const exts = ['.ts', '.js', '.prisma', '.sql', '.yml', '.yaml', '.json', '.sh', '.properties'];
  const self = path.join(root, 'test', 'doc-drift.spec.ts');
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) walk(full);
      } else if (
        (exts.some((ext) => entry.name.endsWith(ext)) || entry.name === 'Dockerfile') &&
        full !== self
      ) {
        for (const word of fs.readFileSync(full, 'utf8').match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])
          words.add(word);
      }
    }
  };
  for (const dir of ['apps', 'packages', 'scripts', 'test', 'prisma', 'docker']) walk(path.join(root, dir));
  for (const file of ['docker-compose.yml', 'Dockerfile', 'eslint.config.js', 'package.json', 'turbo.json'])
    for (const word of fs.readFileSync(path.join(root, file), 'utf8').match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])
      words.add(word);
  return words;
}

/**
 * Names the docs rightly use that OncePay's code does not spell: Kafka's and PostgreSQL's own settings
 * and errors, the official images' variables, Node's. Add one only for a name of another system.
 */
const FOREIGN_NAMES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER', // a Kafka protocol error kafkajs reports
  'CLUSTER_ID', // the official Kafka image's variable
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'KAFKA_', // the official Kafka image's prefix (`KAFKA_*`)
  'OTEL_SERVICE_NAME', // read by the OpenTelemetry SDK itself
  'IdempotentWrite', // a Kafka ACL operation
  'StandardAuthorizer', // Kafka's KRaft authorizer
  'anyOf', // a JSON Schema keyword
]);

function checkNames(docs: Docs, known: ReadonlySet<string>, root: string): Problem[] {
  const problems: Problem[] = [];
  const topics = new Set(Object.values(TOPICS));
  for (const [file, text] of Object.entries(docs)) {
    const report = (index: number, message: string): void => {
      problems.push({ file, line: lineAt(text, index), message });
    };
    const isKnown = (name: string): boolean =>
      FOREIGN_NAMES.has(name) ||
      (name.endsWith('_') ? [...known].some((word) => word.startsWith(name)) : known.has(name));
    // Any word with an underscore in upper case, anywhere (code blocks included), and any backticked one.
    for (const match of text.matchAll(/(?<![\w-])[A-Z][A-Z0-9]*_[A-Z0-9_]*(?![\w-])/g))
      if (!isKnown(match[0])) report(match.index, `${match[0]} occurs nowhere in the code`);
    for (const match of text.matchAll(/`([A-Z][A-Z0-9]{2,})(?:=[^`]*)?`/g))
      if (!isKnown(match[1] ?? '')) report(match.index, `${match[1]} occurs nowhere in the code`);
    for (const match of text.matchAll(/(?<![\w-])oncepay\.[a-z-]+\.v\d+/g))
      if (!topics.has(match[0] as never)) report(match.index, `${match[0]} is not a topic of TOPICS`);
    // A backticked identifier in camel case, or `Class.member`: each part must be a word of the code.
    for (const match of text.matchAll(
      /`((?:[a-z]+[A-Z]|[A-Z][a-z]+[A-Z])[A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)?)(?:\(\))?`/g,
    ))
      for (const part of (match[1] ?? '').split('.'))
        if (!isKnown(part)) report(match.index, `${part} occurs nowhere in the code`);
    // A backticked path of the repository must exist (one cut short with `...`, a `<...>` placeholder or a
    // `*` glob is not a path).
    for (const match of text.matchAll(/`((?:apps|packages|scripts|test|prisma|docker|docs)\/[\w./-]*)`/g)) {
      const target = match[1] ?? '';
      if (!target.includes('...') && !fs.existsSync(path.join(root, target)))
        report(match.index, `${target} does not exist`);
    }
    const eventLike = /`((?:Transfer|Hold|Capture|Release)[A-Z][a-z]+(?:ed))`/g;
    for (const match of text.matchAll(eventLike))
      if (!(EVENT_TYPES as readonly string[]).includes(match[1] ?? ''))
        report(match.index, `${match[1]} is not an event type of packages/contracts`);
  }
  return problems;
}

/**
 * Anywhere in the docs, a validated variable followed by its value in parentheses, `NAME` (default 168)
 * or `NAME_MS` (2 s per table), states its default: the number, read in the variable's unit (a `_MS`
 * variable may be written in ms, s or min), must be the schema's. PORT differs per service: not checked.
 */
function checkEnvMentions(docs: Docs): Problem[] {
  const problems: Problem[] = [];
  const defaults = new Map<string, number>();
  // The console's variables too: its defaults are written the same way (docs/architecture.md).
  for (const schema of [...Object.values(ENV_SCHEMAS), consoleEnvSchema])
    for (const [name, field] of Object.entries(schema.shape)) {
      const parsed = (field as z.ZodType).safeParse(undefined);
      if (name !== 'PORT' && parsed.success && typeof parsed.data === 'number')
        defaults.set(name, parsed.data);
    }
  const unitMs: Record<string, number> = { ms: 1, s: 1_000, min: 60_000 };
  for (const [file, text] of Object.entries(docs))
    for (const match of text.matchAll(/`([A-Z][A-Z0-9_]+)` \((?:default )?(\d[\d,.]*)(?: (ms|s|min)\b)?/g)) {
      const [, name = '', digits = '', unit] = match;
      const expected = defaults.get(name);
      // A range (`A` to `B` (1 s to 5 min)) belongs to two variables: a claim of its own checks it.
      if (expected === undefined || text.startsWith(' to ', match.index + match[0].length)) continue;
      const value = Number(digits.replace(/,/g, ''));
      const stated = unit === undefined ? value : name.endsWith('_MS') ? value * (unitMs[unit] ?? NaN) : NaN;
      if (stated !== expected)
        problems.push({
          file,
          line: lineAt(text, match.index),
          message: `${name}: the doc says ${digits}${unit ? ` ${unit}` : ''}, the code's default is ${expected}`,
        });
    }
  return problems;
}

/**
 * The README's layout block names every folder of packages/, apps/ and scripts/, under its parent, and
 * nothing that is not there: a new workspace or script folder is a line of the layout.
 */
function checkLayout(docs: Docs, root: string): Problem[] {
  const readme = docs[README] ?? '';
  const start = readme.indexOf('## Layout');
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  if (start === -1 || block === undefined)
    return [{ file: README, line: 0, message: 'no "## Layout" block' }];
  const line = lineAt(readme, start);
  const listed = new Map<string, Set<string>>();
  let parent = '';
  for (const row of block.split('\n')) {
    const top = /^([a-z]+)\/(?:<[a-z]+>\/)?(?:\s|$)/.exec(row)?.[1];
    if (top !== undefined) parent = top;
    else
      for (const name of /^ {2}([a-z][\w-]*\/(?:, [a-z][\w-]*\/)*)/.exec(row)?.[1]?.split(', ') ?? [])
        listed.set(parent, (listed.get(parent) ?? new Set()).add(name.replace(/\/$/, '')));
  }
  const problems: Problem[] = [];
  for (const parentDir of ['packages', 'apps', 'scripts']) {
    const present = fs
      .readdirSync(path.join(root, parentDir), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    const named = listed.get(parentDir) ?? new Set<string>();
    for (const name of present)
      if (!named.has(name))
        problems.push({ file: README, line, message: `the layout leaves out ${parentDir}/${name}/` });
    for (const name of named)
      if (!present.includes(name))
        problems.push({
          file: README,
          line,
          message: `the layout lists ${parentDir}/${name}/, which does not exist`,
        });
  }
  return problems;
}

/** The README's configuration table must list exactly the variables the three services validate. */
function checkConfigurationTable(docs: Docs): Problem[] {
  const readme = docs[README] ?? '';
  const start = readme.indexOf('## Configuration');
  const end = readme.indexOf('\n## ', start + 1);
  const section = start === -1 ? '' : readme.slice(start, end === -1 ? undefined : end);
  const listed = new Set<string>();
  for (const row of section.split('\n').filter((line) => line.startsWith('| `')))
    for (const name of (row.split('|')[1] ?? '').match(/`([A-Z0-9_]+)`/g) ?? [])
      listed.add(name.replace(/`/g, ''));
  const validated = new Set(Object.values(ENV_SCHEMAS).flatMap((schema) => Object.keys(schema.shape)));
  const line = lineAt(readme, Math.max(start, 0));
  const problems: Problem[] = [];
  for (const name of validated)
    if (!listed.has(name))
      problems.push({
        file: README,
        line,
        message: `${name} is validated by a service but missing from the configuration table`,
      });
  for (const name of listed)
    if (!validated.has(name))
      problems.push({
        file: README,
        line,
        message: `${name} is in the configuration table but no service reads it`,
      });
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Endpoints: the `request | answers` tables of docs/architecture.md against the OpenAPI documents.

interface OpenApiOperation {
  responses: Record<string, unknown>;
  parameters?: {
    name: string;
    in: string;
    schema?: { minimum?: number; maximum?: number; default?: number };
  }[];
}
type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;

const OPENAPI: Record<ServiceName, () => { paths?: unknown }> = {
  transfer: transferOpenApi,
  ledger: ledgerOpenApi,
  notification: notificationOpenApi,
};

function checkEndpoints(docs: Docs, openApi: Record<ServiceName, OpenApiPaths>): Problem[] {
  const problems: Problem[] = [];
  const text = docs[ARCH] ?? '';
  const lines = text.split('\n');
  for (const service of Object.keys(openApi) as ServiceName[]) {
    const paths = openApi[service];
    const heading = lines.findIndex((line) => line.startsWith(`### ${service}-service`));
    if (heading === -1) {
      problems.push({
        file: ARCH,
        line: 0,
        message: `no "### ${service}-service" section lists its endpoints`,
      });
      continue;
    }
    const documented = new Set<string>();
    let base = '';
    for (let index = heading + 1; index < lines.length && !lines[index]?.startsWith('### '); index++) {
      const row = lines[index] ?? '';
      if (!row.startsWith('| `')) continue;
      const [, request = '', answers = ''] = row.split(/(?<!\\)\|/);
      const stated = new Set([...answers.matchAll(/`([1-5]\d\d)\b/g)].map((match) => match[1] ?? ''));
      for (const operation of request.matchAll(/`(GET|POST|PUT|PATCH|DELETE) ([^`?\s]+)[^`]*`/g)) {
        const method = (operation[1] ?? '').toLowerCase();
        let route = operation[2] ?? '';
        if (route.startsWith('...')) route = base + route.slice(3);
        else base = route.split('/').slice(0, 3).join('/');
        const where = { file: ARCH, line: index + 1 };
        const declared = paths[route]?.[method];
        if (!declared) {
          problems.push({
            ...where,
            message: `${method.toUpperCase()} ${route} is not in the ${service}-service's OpenAPI document`,
          });
          continue;
        }
        documented.add(`${method} ${route}`);
        const statuses = Object.keys(declared.responses);
        for (const status of stated)
          if (!statuses.includes(status))
            problems.push({
              ...where,
              message: `${method.toUpperCase()} ${route}: ${status} is not a declared response (${statuses.join(', ')})`,
            });
        for (const status of statuses.filter((code) => code.startsWith('2')))
          if (!stated.has(status))
            problems.push({
              ...where,
              message: `${method.toUpperCase()} ${route}: answers ${status}, which the row does not say`,
            });
        const limit = /`limit` (\d+) to (\d+) \(default (\d+)\)/.exec(answers);
        const schema = declared.parameters?.find((parameter) => parameter.name === 'limit')?.schema;
        if (limit && schema) {
          const code = `${schema.minimum} to ${schema.maximum} (default ${schema.default})`;
          const doc = `${limit[1]} to ${limit[2]} (default ${limit[3]})`;
          if (code !== doc)
            problems.push({
              ...where,
              message: `${method.toUpperCase()} ${route}: limit ${doc}, the code ${code}`,
            });
        }
      }
    }
    for (const [route, operations] of Object.entries(paths))
      for (const method of Object.keys(operations))
        if (route.startsWith('/v1/') && !documented.has(`${method} ${route}`))
          problems.push({
            file: ARCH,
            line: heading + 1,
            message: `${method.toUpperCase()} ${route} is served but has no row under "### ${service}-service"`,
          });
  }
  return problems;
}

/**
 * The `### Errors` table of docs/architecture.md: a code the OpenAPI documents name in the description
 * of a response must be listed under a status they give it.
 */
function checkErrorTable(docs: Docs, openApi: Record<ServiceName, OpenApiPaths>): Problem[] {
  const statusesOf = new Map<string, Set<string>>();
  for (const paths of Object.values(openApi))
    for (const operations of Object.values(paths))
      for (const operation of Object.values(operations))
        for (const [status, response] of Object.entries(operation.responses)) {
          const description = (response as { description?: string }).description ?? '';
          for (const code of description.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g) ?? [])
            statusesOf.set(code, (statusesOf.get(code) ?? new Set()).add(status));
        }
  const text = docs[ARCH] ?? '';
  const start = text.indexOf('### Errors');
  const problems: Problem[] = [];
  if (start === -1) return [{ file: ARCH, line: 0, message: 'no "### Errors" section' }];
  const end = text.indexOf('\n### ', start + 1);
  for (const row of text.slice(start, end).matchAll(/^\| (\d{3}) +\| `([A-Z_]+)` /gm)) {
    const [, status = '', code = ''] = row;
    const declared = statusesOf.get(code);
    if (declared && !declared.has(status))
      problems.push({
        file: ARCH,
        line: lineAt(text, start + row.index),
        message: `${code} is listed as ${status}; the OpenAPI documents answer it as ${[...declared].join(', ')}`,
      });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Issue references and generated regions.

/** `#12` outside a link's target and not the text of a link to an external page. */
function checkIssueReferences(docs: Docs): Problem[] {
  const problems: Problem[] = [];
  for (const [file, text] of Object.entries(docs)) {
    const withoutLinks = text
      .replace(/\[[^\]]*\]\(https?:[^)]+\)/g, (link) => ' '.repeat(link.length))
      .replace(/\]\([^)]*\)/g, (target) => ' '.repeat(target.length));
    for (const match of withoutLinks.matchAll(/(?<![\w&/#])#\d+\b/g))
      problems.push({
        file,
        line: lineAt(text, match.index),
        message: `${match[0]}: an issue reference a reader cannot follow; say what it was, or link an external issue`,
      });
  }
  return problems;
}

function checkGeneratedRegions(docs: Docs): Problem[] {
  return GENERATED_REGIONS.flatMap(({ id, file, render }) => {
    const current = regionContent(docs[file] ?? '', id);
    if (current === null)
      return [{ file, line: 0, message: `the generated region ${id} is missing or repeated` }];
    return current === regionText(render())
      ? []
      : [
          {
            file,
            line: lineAt(docs[file] ?? '', (docs[file] ?? '').indexOf(`generated:${id}`)),
            message: `the generated region ${id} is stale: run npm run docs:generate`,
          },
        ];
  });
}

// ---------------------------------------------------------------------------------------------------

interface Facts {
  known: ReadonlySet<string>;
  openApi: Record<ServiceName, OpenApiPaths>;
}

function driftProblems(docs: Docs, facts: Facts): string[] {
  return [
    ...checkGeneratedRegions(docs),
    ...checkClaims(docs, CLAIMS),
    ...checkListClaims(docs, LIST_CLAIMS),
    ...checkNames(docs, facts.known, REPO_ROOT),
    ...checkConfigurationTable(docs),
    ...checkLayout(docs, REPO_ROOT),
    ...checkEnvMentions(docs),
    ...checkEndpoints(docs, facts.openApi),
    ...checkErrorTable(docs, facts.openApi),
    ...checkIssueReferences(docs),
  ].map((problem) => `${problem.file}:${problem.line}: ${problem.message}`);
}

const facts: Facts = {
  known: codeWords(REPO_ROOT),
  openApi: Object.fromEntries(
    Object.entries(OPENAPI).map(([service, build]) => [service, (build().paths ?? {}) as OpenApiPaths]),
  ) as Record<ServiceName, OpenApiPaths>,
};
const realDocs = loadDocs(REPO_ROOT);

/**
 * What the checker reports on `docs` beyond what it reports on the real docs, so each planted error is
 * seen on its own (a plant never changes a line count, so the real docs' problems keep their lines).
 */
function introducedProblems(docs: Docs): string[] {
  const baseline = new Set(driftProblems(realDocs, facts));
  return driftProblems(docs, facts).filter((problem) => !baseline.has(problem));
}

/** The real docs with one file's `from` replaced by `to`; fails the test when `from` is not there. */
function planted(file: string, from: string | RegExp, to: string): Docs {
  const text = realDocs[file] ?? '';
  const changed = text.replace(from, to);
  expect(changed).not.toBe(text);
  return { ...realDocs, [file]: changed };
}

describe('the drift checker itself', () => {
  it('reports a wrong default in the configuration table', () => {
    const docs = planted(README, /(?<keep>\| `DATABASE_POOL_SIZE` [^\n]*?\(default )\d+\)/, '$<keep>12)');
    expect(introducedProblems(docs)).toEqual([
      expect.stringMatching(/^README\.md:\d+: DATABASE_POOL_SIZE's default: the doc says 12, the code 10$/),
    ]);
  });

  it('reports a wrong relay interval, port and Retry-After', () => {
    const docs = { ...planted(SEMANTICS, 'a 1 s safety poll', 'a 5 s safety poll') };
    docs[ARCH] = (docs[ARCH] ?? '')
      .replace('`Retry-After: 2`', '`Retry-After: 5`')
      .replace('### ledger-service (port 3001)', '### ledger-service (port 3011)');
    const problems = introducedProblems(docs);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('relay safety poll: the doc says 5 s, the code 1 s'),
        expect.stringContaining('503 Retry-After: the doc says 5, the code 2'),
        expect.stringContaining('ledger-service port: the doc says 3011, the code 3001'),
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it("reports a default stated beside its variable anywhere, in the variable's unit", () => {
    const docs = planted(
      'docs/adr/0003-dedup-record-in-the-effect-transaction.md',
      '`PROCESSED_MESSAGES_RETENTION_HOURS` (default 720)',
      '`PROCESSED_MESSAGES_RETENTION_HOURS` (default 700)',
    );
    docs[ADR_RETENTION] = (docs[ADR_RETENTION] ?? '').replace(
      '`RETENTION_BUDGET_MS` (2 s per table)',
      '`RETENTION_BUDGET_MS` (2 min per table)',
    );
    expect(introducedProblems(docs)).toEqual([
      expect.stringContaining(
        "PROCESSED_MESSAGES_RETENTION_HOURS: the doc says 700, the code's default is 720",
      ),
      expect.stringContaining("RETENTION_BUDGET_MS: the doc says 2 min, the code's default is 2000"),
    ]);
  });

  it('reports an environment variable the code does not read, and one the table leaves out', () => {
    const docs = planted(README, '| `API_KEYS` ', '| `ONCEPAY_API_KEY` ');
    expect(introducedProblems(docs)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ONCEPAY_API_KEY occurs nowhere in the code'),
        expect.stringContaining(
          'API_KEYS is validated by a service but missing from the configuration table',
        ),
        expect.stringContaining('ONCEPAY_API_KEY is in the configuration table but no service reads it'),
      ]),
    );
  });

  it('reports a status an endpoint does not answer, an unknown route, a missing row and a wrong limit', () => {
    const docs = planted(ARCH, '| `GET /v1/accounts/{id}`  ', '| `GET /v1/accounts/{id}/x`');
    docs[ARCH] = (docs[ARCH] ?? '')
      .replace('`202` + the hold (`VOIDING`)', '`202` + the hold (`VOIDING`); `418`')
      .replace('`limit` 1 to 100 (default 20)', '`limit` 1 to 100 (default 25)')
      .replace('| 413    | `PAYLOAD_TOO_LARGE` ', '| 400    | `PAYLOAD_TOO_LARGE` ');
    const problems = introducedProblems(docs);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('POST /v1/transfers/{id}/void: 418 is not a declared response'),
        expect.stringContaining("GET /v1/accounts/{id}/x is not in the ledger-service's OpenAPI document"),
        expect.stringContaining('GET /v1/accounts/{id} is served but has no row'),
        expect.stringContaining(
          'GET /v1/notifications: limit 1 to 100 (default 25), the code 1 to 100 (default 20)',
        ),
        expect.stringContaining('PAYLOAD_TOO_LARGE is listed as 400; the OpenAPI documents answer it as 413'),
      ]),
    );
  });

  it('reports a missing status, unknown names and paths, an issue number, a stale region and layout', () => {
    const docs = planted(ARCH, '`id`, `status` (`PENDING`, ', '`id`, `status` (');
    docs[SEMANTICS] =
      `${docs[SEMANTICS] ?? ''}\nSee #12, \`oncepay.transfer-request.v1\`, \`TransferSettled\`, \`RecordLedgerResultHandler.ignoredCounts\` and \`scripts/docs/gone.ts\`.\n`;
    docs[ARCH] = (docs[ARCH] ?? '').replace('`TransferRequested`, `CaptureRequested`', '`CaptureRequested`');
    docs[README] = (docs[README] ?? '').replace('  posting-rules/ ', '  posting-rule/  ');
    const problems = introducedProblems(docs);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining("a transfer's statuses: missing PENDING"),
        expect.stringContaining('#12: an issue reference'),
        expect.stringContaining('oncepay.transfer-request.v1 is not a topic'),
        expect.stringContaining('TransferSettled is not an event type'),
        expect.stringContaining('ignoredCounts occurs nowhere in the code'),
        expect.stringContaining('scripts/docs/gone.ts does not exist'),
        expect.stringContaining('the generated region kafka-topics is stale'),
        expect.stringContaining('the layout leaves out packages/posting-rules/'),
        expect.stringContaining('the layout lists packages/posting-rule/, which does not exist'),
      ]),
    );
  });
});

describe('the documentation', () => {
  it('reads every doc and checks claims in each kind of fact', () => {
    expect(Object.keys(realDocs)).toEqual(expect.arrayContaining([README, ARCH, SEMANTICS, ADR_OUTBOX]));
    expect(CLAIMS.length).toBeGreaterThan(50);
    // The knobs table names the pool, the partitions, the batch size, the linger and the log level.
    expect(knobClaims().map((knob) => knob.what)).toHaveLength(5);
    expect(Object.values(facts.openApi).every((paths) => Object.keys(paths).length > 0)).toBe(true);
  });

  it('agrees with the code', () => {
    expect(driftProblems(realDocs, facts)).toEqual([]);
  });
});
