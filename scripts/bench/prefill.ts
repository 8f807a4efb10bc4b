// `npm run bench -- --prefill <n>`: history in the tables before the load, so the benchmark measures a
// system that has already moved n transfers rather than one with empty tables. Written by SQL into the
// freshly migrated databases of a stack the benchmark starts, before its services start:
// - the permanent tables hold all n: the transfers (scripts/bench/audit/fill-databases.ts with
//   `settled`: every one COMPLETED, FAILED or a settled hold, with refunds), the ledger's accounts,
//   journal, decisions, holds and balances, one notification per transfer;
// - the tables retention bounds hold what they would in steady state, had the n transfers come evenly
//   over `historyDays` days and the retention job run all along: the rows of the transfers inside each
//   window (the services' own, from their environment: `prefillWindows`), the older ones purged.
//   Per transfer that is, in the transfer database, its TransferRequested and outcome outbox rows (SENT),
//   its processed ledger result and its idempotency key; in the ledger's, its result's outbox row and
//   its processed request; in the notification-service's, its processed outcome. A hold's capture or
//   void request and its extra events are not written (an eighth of the payments); absorbed duplicates
//   and stale events are none, as in a run without faults.
// Then VACUUM ANALYZE, as autovacuum would have left tables that grew to that size, and the rows and
// sizes of every table for the report.
import { MIN_IDEMPOTENCY_KEY_RETENTION_MS } from '@oncepay/dedup';
import { TOPICS } from '@oncepay/contracts';
import { RETENTION_DEFAULT_HOURS } from '../../packages/service-runtime/src/retention-bounds';
import type { Client } from 'pg';
import {
  fillAuditDatabases,
  REFUND_OF_I,
  TRANSFER_OF_I,
  withClient,
  type AuditDatabaseUrls,
  type FillParams,
} from './audit/fill-databases';

export interface PrefillPlan {
  transfers: number;
  /** The span the history's transfers are spread over, ending two hours before the fill. */
  historyDays: number;
}

/** How long each retention-bound kind of row is kept, in seconds, as the services are configured. */
export interface PrefillWindows {
  processedMessagesS: number;
  outboxSentS: number;
  idempotencyKeysS: number;
}

export interface PrefillReport {
  transfers: number;
  historyDays: number;
  windows: PrefillWindows;
  /** Seconds: the SQL fill, then the VACUUM ANALYZE of the three databases. */
  fillSeconds: number;
  vacuumSeconds: number;
  tables: TableSize[];
}

export interface TableSize {
  database: 'transfer' | 'ledger' | 'notification';
  table: string;
  rows: number;
  /** pg_total_relation_size: heap, indexes and TOAST. */
  bytes: number;
}

const HOUR_S = 3_600;
const DAY_S = 24 * HOUR_S;

/**
 * The windows the services' retention keeps rows for, given the environment they run with, read as
 * `retentionWindows` in @oncepay/service-runtime reads it (SOAK_RETENTION_SECONDS replaces all three;
 * idempotency keys live 24 h). The services validate these variables; a value they would refuse never
 * gets this far, as they would not start.
 */
export function prefillWindows(serviceEnv: Record<string, string | undefined>): PrefillWindows {
  const soak = serviceEnv.SOAK_RETENTION_SECONDS;
  if (soak !== undefined)
    return { processedMessagesS: Number(soak), outboxSentS: Number(soak), idempotencyKeysS: Number(soak) };
  const hours = (raw: string | undefined, fallback: number) => (raw === undefined ? fallback : Number(raw));
  return {
    processedMessagesS:
      hours(serviceEnv.PROCESSED_MESSAGES_RETENTION_HOURS, RETENTION_DEFAULT_HOURS.processedMessages) *
      HOUR_S,
    outboxSentS: hours(serviceEnv.OUTBOX_SENT_RETENTION_HOURS, RETENTION_DEFAULT_HOURS.outboxSent) * HOUR_S,
    idempotencyKeysS: MIN_IDEMPOTENCY_KEY_RETENTION_MS / 1000,
  };
}

/**
 * The share of the history a window keeps: the transfers are spread evenly over the span, which ends
 * two hours before the fill (so a window of two hours or less keeps none of it).
 */
export function retainedShare(windowS: number, historyDays: number): number {
  const spanS = historyDays * DAY_S;
  if (spanS <= 0) return windowS > 2 * HOUR_S ? 1 : 0;
  return Math.min(1, Math.max(0, (windowS - 2 * HOUR_S) / spanS));
}

export async function prefillHistory(
  urls: AuditDatabaseUrls,
  plan: PrefillPlan,
  windows: PrefillWindows,
  log: (line: string) => void,
): Promise<PrefillReport> {
  const historySeconds = plan.historyDays * DAY_S;
  const started = Date.now();
  log(`prefill: ${plan.transfers} settled transfers over ${plan.historyDays} days, by SQL`);
  // The fill's own parameters, so the rows below name its transfers and their events.
  const params = await fillAuditDatabases(urls, {
    transfers: plan.transfers,
    plant: false,
    settled: true,
    historySeconds,
  });
  await Promise.all([
    withClient(urls.transfer, (db) => retainTransferRows(db, params, windows)),
    withClient(urls.ledger, (db) => retainLedgerRows(db, params, windows)),
    withClient(urls.notification, (db) => retainNotificationRows(db, params, windows)),
  ]);
  const fillSeconds = (Date.now() - started) / 1000;
  log(`prefill: filled in ${fillSeconds.toFixed(1)} s; VACUUM ANALYZE`);
  const vacuumStarted = Date.now();
  await Promise.all(
    Object.values(urls).map((url) => withClient(url, async (db) => void (await db.query('VACUUM ANALYZE')))),
  );
  const vacuumSeconds = (Date.now() - vacuumStarted) / 1000;
  const tables = (
    await Promise.all(
      (['transfer', 'ledger', 'notification'] as const).map((database) =>
        tableSizes(urls[database], database),
      ),
    )
  ).flat();
  return {
    transfers: plan.transfers,
    historyDays: plan.historyDays,
    windows,
    fillSeconds,
    vacuumSeconds,
    tables,
  };
}

// Every transfer the clients requested (the payments, holds among them, and the refunds), with the ids
// of its three events: the ledger's result is the transfer's last_event_id, the outcome is the
// notification's event_id, as the fill wrote them; the request's id is new here.
const REQUESTED_OF_I = `
  SELECT 'payment-' || i AS n, id, status, from_account_id, to_account_id, amount_minor, created_at,
         md5('oncepay-audit-event-' || i)::uuid AS result_event_id,
         md5('oncepay-audit-outcome-' || i)::uuid AS outcome_event_id,
         'audit-bench-' || i AS correlation_id, i
    FROM (${TRANSFER_OF_I}) t
  UNION ALL
  SELECT 'refund-' || i, id, 'COMPLETED', from_account_id, to_account_id, amount_minor, created_at,
         md5('oncepay-audit-refund-event-' || i)::uuid, md5('oncepay-audit-refund-outcome-' || i)::uuid,
         'audit-bench-refund-' || i, i
    FROM (${REFUND_OF_I}) r`;

/** The request's event id (the ledger's processed message, the transfer-service's first outbox row). */
const REQUEST_EVENT_ID = `md5('oncepay-prefill-request-' || q.n)::uuid`;

/** An event as encodeEvent (@oncepay/contracts) writes it: the value's JSON text and the headers. */
function encodedEvent(event: {
  id: string;
  type: string;
  producer: string;
  sequence: number;
  at: string;
  extra?: string;
}): { value: string; headers: string } {
  const payload = `json_build_object('transferId', q.id, 'clientId', 'audit-bench', 'fromAccountId', q.from_account_id,
      'toAccountId', q.to_account_id, 'amountMinor', q.amount_minor::text, 'currency', 'EUR', 'reference', NULL
      ${event.extra ? `, ${event.extra}` : ''})`;
  return {
    value: `json_build_object('id', ${event.id}, 'type', ${event.type}, 'schemaVersion', 1,
      'occurredAt', to_char((${event.at}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'producer', '${event.producer}', 'aggregateId', q.id, 'sequence', ${event.sequence},
      'correlationId', q.correlation_id, 'causationId', NULL, 'payload', ${payload})::text`,
    headers: `jsonb_build_object('event-id', ${event.id}::text, 'event-type', ${event.type},
      'schema-version', '1', 'correlation-id', q.correlation_id)`,
  };
}

/** The ledger's answer: posted, rejected or (a hold) placed. */
const RESULT_TYPE = `CASE q.status WHEN 'COMPLETED' THEN 'TransferPosted' WHEN 'FAILED' THEN 'TransferRejected'
                     ELSE 'HoldPlaced' END`;
/** transfer-service's final word: TransferCompleted, TransferFailed, TransferCaptured, ... */
const OUTCOME_TYPE = `'Transfer' || initcap(q.status)`;

/** SENT outbox rows from `rows` (id, topic, key, value, headers, at), positions in the order they were sent. */
function insertSentOutboxRows(rows: string): string {
  return `INSERT INTO outbox_messages (id, topic, key, value, headers, status, attempts, next_attempt_at, created_at, sent_at)
          SELECT id, topic, key, value, headers, 'SENT', 1, at, at, at + interval '5 milliseconds'
            FROM (${rows}) o
           WHERE at + interval '5 milliseconds' >= $3::timestamptz - make_interval(secs => $6::float8)
           ORDER BY at, id`;
}

/** Processed-message rows from `rows` (message_id, at, i), those inside the window. */
function insertProcessedRows(consumer: string, topic: string, rows: string): string {
  return `INSERT INTO processed_messages (consumer, message_id, processed_at, topic, kafka_partition, kafka_offset)
          SELECT '${consumer}', message_id, at, '${topic}', i % 3, i
            FROM (${rows}) p
           WHERE at >= $3::timestamptz - make_interval(secs => $6::float8)`;
}

async function retainTransferRows(db: Client, params: FillParams, windows: PrefillWindows): Promise<void> {
  const request = encodedEvent({
    id: REQUEST_EVENT_ID,
    type: `'TransferRequested'`,
    producer: 'transfer-service',
    sequence: 1,
    at: 'q.created_at',
  });
  const outcome = encodedEvent({
    id: 'q.outcome_event_id',
    type: OUTCOME_TYPE,
    producer: 'transfer-service',
    sequence: 3,
    at: `q.created_at + interval '1 second'`,
    extra: `'reason', CASE q.status WHEN 'FAILED' THEN 'INSUFFICIENT_FUNDS' END`,
  });
  await db.query(
    insertSentOutboxRows(`
      SELECT ${REQUEST_EVENT_ID} AS id, '${TOPICS.transferRequests}' AS topic, q.id::text AS key,
             ${request.value} AS value, ${request.headers} AS headers, q.created_at AS at
        FROM (${REQUESTED_OF_I}) q
      UNION ALL
      SELECT q.outcome_event_id, '${TOPICS.transferOutcomes}', q.id::text, ${outcome.value}, ${outcome.headers},
             q.created_at + interval '1 second'
        FROM (${REQUESTED_OF_I}) q`),
    [...params, windows.outboxSentS],
  );
  await db.query(
    insertProcessedRows(
      'transfer-service.record-ledger-result',
      TOPICS.ledgerResults,
      `SELECT q.result_event_id AS message_id, q.created_at + interval '1 second' AS at, q.i
         FROM (${REQUESTED_OF_I}) q`,
    ),
    [...params, windows.processedMessagesS],
  );
  // The key of each request, with the 202 it was answered, until it expires.
  await db.query(
    `INSERT INTO idempotency_keys (client_id, key, request_fingerprint, response_status, response_body, created_at, expires_at)
     SELECT 'audit-bench', md5('oncepay-prefill-key-' || q.n)::uuid::text,
            md5('oncepay-prefill-fingerprint-' || q.n) || md5('oncepay-prefill-fingerprint2-' || q.n), 202,
            json_build_object('id', q.id, 'status', 'PENDING', 'fromAccountId', q.from_account_id,
                              'toAccountId', q.to_account_id, 'amount', q.amount_minor::text, 'currency', 'EUR',
                              'reference', NULL, 'createdAt', q.created_at),
            q.created_at, q.created_at + make_interval(secs => $6::float8)
       FROM (${REQUESTED_OF_I}) q
      WHERE q.created_at + make_interval(secs => $6::float8) > $3::timestamptz`,
    [...params, windows.idempotencyKeysS],
  );
}

async function retainLedgerRows(db: Client, params: FillParams, windows: PrefillWindows): Promise<void> {
  const result = encodedEvent({
    id: 'q.result_event_id',
    type: RESULT_TYPE,
    producer: 'ledger-service',
    sequence: 2,
    at: `q.created_at + interval '500 milliseconds'`,
    extra: `'reason', CASE q.status WHEN 'FAILED' THEN 'INSUFFICIENT_FUNDS' END`,
  });
  await db.query(
    insertSentOutboxRows(`
      SELECT q.result_event_id AS id, '${TOPICS.ledgerResults}' AS topic, q.id::text AS key,
             ${result.value} AS value, ${result.headers} AS headers,
             q.created_at + interval '500 milliseconds' AS at
        FROM (${REQUESTED_OF_I}) q`),
    [...params, windows.outboxSentS],
  );
  await db.query(
    insertProcessedRows(
      'ledger-service.post-transfer',
      TOPICS.transferRequests,
      `SELECT ${REQUEST_EVENT_ID} AS message_id, q.created_at + interval '500 milliseconds' AS at, q.i
         FROM (${REQUESTED_OF_I}) q`,
    ),
    [...params, windows.processedMessagesS],
  );
}

async function retainNotificationRows(
  db: Client,
  params: FillParams,
  windows: PrefillWindows,
): Promise<void> {
  await db.query(
    insertProcessedRows(
      'notification-service.record-outcome',
      TOPICS.transferOutcomes,
      `SELECT q.outcome_event_id AS message_id, q.created_at + interval '2 seconds' AS at, q.i
         FROM (${REQUESTED_OF_I}) q`,
    ),
    [...params, windows.processedMessagesS],
  );
}

/** Every table of the database (but Prisma's migrations), its exact rows and its size. */
async function tableSizes(url: string, database: TableSize['database']): Promise<TableSize[]> {
  const sizes: TableSize[] = [];
  await withClient(url, async (db) => {
    const { rows } = await db.query<{ table: string; bytes: string }>(
      `SELECT c.relname AS table, pg_total_relation_size(c.oid)::text AS bytes
         FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'
        ORDER BY c.relname`,
    );
    for (const row of rows) {
      const counted = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${row.table}"`);
      sizes.push({
        database,
        table: row.table,
        rows: Number(counted.rows[0]?.n ?? 0),
        bytes: Number(row.bytes),
      });
    }
  });
  return sizes;
}
