// The transfer trail's entries from the tables every service shares: the outbox (transfer-service and
// ledger), the dedup records and the duplicates absorbed (docs/adr/0013-the-transfer-trail.md). Each
// lookup goes through a key: outbox rows by key (the transfer id, outbox_messages_key_position_idx),
// dedup records by their primary key (consumer, message id) with ids taken from rows found by transfer,
// absorbed duplicates by aggregate id. Nothing here scans a hot table.
import type { TrailEntry } from '@oncepay/http-edge';
import type { SqlExecutor } from '@oncepay/sql';

export interface OutboxTrailRow {
  id: string;
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
    `SELECT id::text, topic, value::jsonb ->> 'type' AS event_type, value::jsonb ->> 'causationId' AS causation_id,
            status::text, attempts, created_at, sent_at
       FROM outbox_messages WHERE key = $1 ORDER BY position`,
    transferId,
  );
}

export function outboxRowEntry(row: OutboxTrailRow): TrailEntry {
  const sent =
    row.sent_at === null
      ? `not sent yet (${row.attempts} attempts)`
      : `sent at ${row.sent_at.toISOString()} after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'}`;
  return {
    at: row.created_at.toISOString(),
    kind: 'outbox-row',
    summary: `Wrote ${row.event_type} to the outbox for ${row.topic}: ${row.status}, ${sent}.`,
    eventId: row.id,
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
      ORDER BY processed_at`,
    consumer,
    [...new Set(messageIds.map((id) => id.toLowerCase()))],
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
       FROM absorbed_duplicates WHERE aggregate_id = $1::uuid ORDER BY absorbed_at, id`,
    transferId,
  );
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
