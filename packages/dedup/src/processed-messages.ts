// The idempotent consumer's memory: `processed_messages (consumer, message_id)`, which every service's
// database has. A row is written in the same transaction as the message's effect, so the effect and
// the fact that it happened commit or roll back together.
import { deleteExpired, type BatchBounds, type SqlExecutor } from '@oncepay/sql';

/**
 * `first`: this transaction owns the message; apply its effect, then commit.
 * `duplicate`: the message was already processed (and committed) by this consumer; do nothing.
 */
export type RecordProcessedOutcome = 'first' | 'duplicate';

/**
 * Records that `consumer` processed `messageId` (the envelope's event id, a UUID).
 *
 * Call it with the transaction that applies the effect, never with a bare client: outside that
 * transaction a crash between the two would either lose the effect or apply it twice.
 *
 * Concurrency: when two deliveries of one message race, the second INSERT waits on the first one's
 * uncommitted row. If the first commits, the second sees the conflict and returns `duplicate`; if it
 * rolls back, the second inserts and returns `first`. So at most one of them applies the effect.
 */
export async function recordProcessed(
  tx: SqlExecutor,
  consumer: string,
  messageId: string,
): Promise<RecordProcessedOutcome> {
  const inserted = await tx.execute(
    `INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2::uuid)
     ON CONFLICT (consumer, message_id) DO NOTHING`,
    consumer,
    messageId,
  );
  if (inserted === 1) return 'first';
  if (inserted === 0) return 'duplicate';
  throw new Error(`INSERT of one processed message reported ${inserted} rows`);
}

/**
 * Where a message was read, kept with its dedup record and with each duplicate delivery absorbed, so
 * the transfer trail can say where each copy came from (docs/adr/0013-the-transfer-trail.md).
 */
export interface DeliveryPosition {
  /** The envelope's aggregateId: the transfer. */
  aggregateId: string;
  topic: string;
  partition: number;
  /** Kafka's offset, a decimal string (int64). */
  offset: string;
}

/**
 * Records a batch of messages for `consumer` in one INSERT and returns the ids recorded now (lower
 * case); the others were processed before. Same rules as `recordProcessed`: call it with the
 * transaction that applies the effects. Ids are inserted in sorted order so two batches racing on
 * overlapping ids wait for each other instead of deadlocking. With `positions` (one per id, in the same
 * order), each record keeps where its message was read: the first delivery of an id that came twice.
 */
export async function recordProcessedBatch(
  tx: SqlExecutor,
  consumer: string,
  messageIds: readonly string[],
  positions?: readonly DeliveryPosition[],
): Promise<Set<string>> {
  if (positions !== undefined && positions.length !== messageIds.length) {
    throw new RangeError(`${messageIds.length} message ids with ${positions.length} positions`);
  }
  const firstPosition = new Map<string, DeliveryPosition | undefined>();
  messageIds.forEach((id, i) => {
    const key = id.toLowerCase();
    if (!firstPosition.has(key)) firstPosition.set(key, positions?.[i]);
  });
  const ids = [...firstPosition.keys()].sort();
  if (ids.length === 0) return new Set();
  const at = ids.map((id) => firstPosition.get(id));
  const rows = await tx.query<{ id: string }[]>(
    `INSERT INTO processed_messages (consumer, message_id, topic, kafka_partition, kafka_offset)
     SELECT $1, id, topic, kafka_partition, kafka_offset
       FROM unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[])
            AS row (id, topic, kafka_partition, kafka_offset)
      ORDER BY id
     ON CONFLICT (consumer, message_id) DO NOTHING
     RETURNING message_id::text AS id`,
    consumer,
    ids,
    at.map((position) => position?.topic ?? null),
    at.map((position) => position?.partition ?? null),
    at.map((position) => position?.offset ?? null),
  );
  return new Set(rows.map((row) => row.id));
}

/** One duplicate delivery absorbed: which message, by whom, read where. */
export interface AbsorbedDelivery extends DeliveryPosition {
  messageId: string;
}

/**
 * Records the duplicate deliveries a batch absorbed in `absorbed_duplicates`, in the batch's own
 * transaction (so a batch that rolls back records nothing). Duplicates are rare: one INSERT, usually
 * not run at all.
 */
export async function recordAbsorbedDuplicates(
  tx: SqlExecutor,
  consumer: string,
  deliveries: readonly AbsorbedDelivery[],
): Promise<void> {
  if (deliveries.length === 0) return;
  await tx.execute(
    `INSERT INTO absorbed_duplicates (consumer, message_id, aggregate_id, topic, kafka_partition, kafka_offset)
     SELECT $1, message_id, aggregate_id, topic, kafka_partition, kafka_offset
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::bigint[])
            AS row (message_id, aggregate_id, topic, kafka_partition, kafka_offset)`,
    consumer,
    deliveries.map((delivery) => delivery.messageId),
    deliveries.map((delivery) => delivery.aggregateId),
    deliveries.map((delivery) => delivery.topic),
    deliveries.map((delivery) => delivery.partition),
    deliveries.map((delivery) => delivery.offset),
  );
}

export interface PurgeProcessedMessagesOptions extends BatchBounds {
  /** Rows processed before this instant are deleted. */
  olderThan: Date;
}

/**
 * Retention cleanup: deletes processed-message rows older than `olderThan`, at most
 * `batchSize * maxBatches` of them, and returns how many went. Pass a client, not a transaction.
 *
 * Why the retention must be longer than any redelivery window: a row is the only thing that makes a
 * redelivery harmless. Once it is gone, the same message arriving again is processed again. Kafka can
 * hand out a message as long as the topic retains it (a consumer group reset, a new consumer group,
 * a rebalance after a long stall), and an outbox relay can republish a row it failed to mark as sent.
 * So `olderThan` must lie before the topic's retention plus the longest relay/consumer lag.
 */
export async function purgeProcessedMessages(
  db: SqlExecutor,
  opts: PurgeProcessedMessagesOptions,
): Promise<number> {
  return deleteExpired(
    db,
    { name: 'processed_messages', key: ['consumer', 'message_id'], timeColumn: 'processed_at' },
    opts.olderThan,
    opts,
  );
}

/**
 * Retention cleanup of `absorbed_duplicates`, with processed_messages' window: a duplicate is worth
 * showing as long as the record that absorbed it exists. Pass a client, not a transaction.
 */
export async function purgeAbsorbedDuplicates(
  db: SqlExecutor,
  opts: PurgeProcessedMessagesOptions,
): Promise<number> {
  return deleteExpired(
    db,
    { name: 'absorbed_duplicates', key: ['id'], timeColumn: 'absorbed_at' },
    opts.olderThan,
    opts,
  );
}
