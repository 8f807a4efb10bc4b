// The transfer trail's entries from the tables every service shares: the outbox (transfer-service and
// ledger), the dedup records and the duplicates absorbed (docs/adr/0013-the-transfer-trail.md). Each
// lookup goes through a key: outbox rows by key (the transfer id, outbox_messages_key_position_idx),
// dedup records by their primary key (consumer, message id) with ids taken from rows found by transfer,
// absorbed duplicates by aggregate id. Nothing here scans a hot table. Every trail query, here and in
// the services' controllers, reads at most TRAIL_QUERY_LIMIT rows of its kind, and capTrailRows turns
// the one row too many into a `truncated` entry.
import { isDeadLetterTopic } from '@oncepay/contracts';
import type { TrailEntry } from '@oncepay/http-edge';
import type { SqlExecutor } from '@oncepay/sql';

/**
 * The most rows of one kind a trail shows: a transfer redelivered or retried without end must not
 * make one answer (and the queries behind it) unbounded.
 */
export const TRAIL_ROWS_PER_KIND = 1_000;
/** The LIMIT of every trail query: one row more than is shown, so that row says the kind was cut. */
export const TRAIL_QUERY_LIMIT = TRAIL_ROWS_PER_KIND + 1;

/**
 * The first TRAIL_ROWS_PER_KIND `rows` (read in time order with LIMIT TRAIL_QUERY_LIMIT) and, when
 * there were more, a `truncated` entry at the last one shown, so the cut sits where it happened.
 * `what` names the rows for a reader, plural: "journal entries".
 */
export function capTrailRows<T>(
  rows: readonly T[],
  what: string,
  atOf: (row: T) => Date,
): { rows: T[]; truncated: TrailEntry[] } {
  const shown = rows.slice(0, TRAIL_ROWS_PER_KIND);
  const last = shown.at(-1);
  if (rows.length <= TRAIL_ROWS_PER_KIND || last === undefined) return { rows: shown, truncated: [] };
  return {
    rows: shown,
    truncated: [
      {
        at: atOf(last).toISOString(),
        kind: 'truncated',
        summary: `Showed the first ${TRAIL_ROWS_PER_KIND} ${what}; there are more, not shown.`,
      },
    ],
  };
}

export interface OutboxTrailRow {
  /**
   * The id of the event the row carries: its own for an event, the dead-lettered event's for a dead
   * letter (which carries that event's bytes as they arrived).
   */
  event_id: string;
  topic: string;
  event_type: string;
  causation_id: string | null;
  status: string;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
}

/** One transfer's outbox rows, in sending order. */
export function readOutboxRows(db: SqlExecutor, transferId: string): Promise<OutboxTrailRow[]> {
  return db.query<OutboxTrailRow[]>(
    `SELECT value::jsonb ->> 'id' AS event_id, topic, value::jsonb ->> 'type' AS event_type, value::jsonb ->> 'causationId' AS causation_id,
            status::text, attempts, created_at, sent_at
       FROM outbox_messages WHERE key = $1 ORDER BY position LIMIT $2`,
    transferId,
    TRAIL_QUERY_LIMIT,
  );
}

/**
 * The ids of the messages whose handling wrote these outbox rows: an event's causation id, or for a
 * dead letter the dead-lettered event itself (its handler wrote the row as it gave up on it).
 */
export function causesOf(rows: readonly OutboxTrailRow[]): string[] {
  return rows.flatMap((row) => {
    if (isDeadLetterTopic(row.topic)) return [row.event_id];
    return row.causation_id === null ? [] : [row.causation_id];
  });
}

export function outboxRowEntry(row: OutboxTrailRow): TrailEntry {
  const sent =
    row.sent_at === null
      ? `not sent yet (${row.attempts} attempts)`
      : `sent at ${row.sent_at.toISOString()} after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}`;
  const written = isDeadLetterTopic(row.topic)
    ? `the dead letter of ${row.event_type} ${row.event_id}`
    : row.event_type;
  return {
    at: row.created_at.toISOString(),
    kind: 'outbox-row',
    summary: `Wrote ${written} to the outbox for ${row.topic}: ${row.status}, ${sent}.`,
    eventId: row.event_id,
    eventType: row.event_type,
    topic: row.topic,
    status: row.status,
  };
}

export interface ConsumedTrailRow {
  consumer: string;
  message_id: string;
  processed_at: Date;
  topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
}

/** The dedup records of `consumer` for these message ids (by primary key), oldest first. */
export function readConsumedRecords(
  db: SqlExecutor,
  consumer: string,
  messageIds: readonly string[],
): Promise<ConsumedTrailRow[]> {
  if (messageIds.length === 0) return Promise.resolve([]);
  return db.query<ConsumedTrailRow[]>(
    `SELECT consumer, message_id::text, processed_at, topic, kafka_partition, kafka_offset::text
       FROM processed_messages WHERE consumer = $1 AND message_id = ANY($2::uuid[])
      ORDER BY processed_at LIMIT $3`,
    consumer,
    [...new Set(messageIds.map((id) => id.toLowerCase()))],
    TRAIL_QUERY_LIMIT,
  );
}

/** `what` names the message for a reader, e.g. "the ledger's answer". */
export function consumedEntry(row: ConsumedTrailRow, what: string): TrailEntry {
  return {
    at: row.processed_at.toISOString(),
    kind: 'consumed',
    summary: `Consumed ${what} ${row.message_id}${readAt(row)} and processed it.`,
    eventId: row.message_id,
    ...position(row),
    consumer: row.consumer,
  };
}

export interface AbsorbedTrailRow {
  consumer: string;
  message_id: string;
  absorbed_at: Date;
  topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

/** The duplicate deliveries of the transfer's messages that this service's dedup absorbed. */
export function readAbsorbedDuplicates(db: SqlExecutor, transferId: string): Promise<AbsorbedTrailRow[]> {
  return db.query<AbsorbedTrailRow[]>(
    `SELECT consumer, message_id::text, absorbed_at, topic, kafka_partition, kafka_offset::text
       FROM absorbed_duplicates WHERE aggregate_id = $1::uuid ORDER BY absorbed_at, id LIMIT $2`,
    transferId,
    TRAIL_QUERY_LIMIT,
  );
}

/** Every service's trail shows its absorbed duplicates alike: read, capped, as entries. */
export async function absorbedDuplicateEntries(db: SqlExecutor, transferId: string): Promise<TrailEntry[]> {
  const absorbed = capTrailRows(
    await readAbsorbedDuplicates(db, transferId),
    'duplicates absorbed',
    (row) => row.absorbed_at,
  );
  return [...absorbed.rows.map(absorbedEntry), ...absorbed.truncated];
}

export function absorbedEntry(row: AbsorbedTrailRow): TrailEntry {
  return {
    at: row.absorbed_at.toISOString(),
    kind: 'duplicate-absorbed',
    summary: `A second delivery of ${row.message_id}${readAt(row)} was recognised by its id and changed nothing.`,
    eventId: row.message_id,
    ...position(row),
    consumer: row.consumer,
    marks: ['duplicate-absorbed'],
  };
}

type Positioned = Pick<ConsumedTrailRow, 'topic' | 'kafka_partition' | 'kafka_offset'>;

function readAt(row: Positioned): string {
  return row.topic === null
    ? ''
    : ` from ${row.topic} partition ${row.kafka_partition} offset ${row.kafka_offset}`;
}

/** The Kafka position fields of an entry, left out when the record has none (written before the trail). */
export function position(row: Positioned): Pick<TrailEntry, 'topic' | 'partition' | 'offset'> {
  if (row.topic === null || row.kafka_partition === null || row.kafka_offset === null) return {};
  return { topic: row.topic, partition: row.kafka_partition, offset: row.kafka_offset };
}
