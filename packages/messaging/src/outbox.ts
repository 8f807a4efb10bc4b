// The transactional outbox: a service never publishes to Kafka inside its business transaction. It
// writes the event into `outbox_messages` in that same transaction, so the event exists if and only if
// the change it announces committed; the relay publishes it afterwards (see outbox-relay.ts), woken
// by an OutboxSignal once the transaction committed (see outbox-signal.ts).
import { encodeEvent, TOPIC_OF, type OncePayEvent } from '@oncepay/contracts';
import { traceContextOf, traceHeaders } from './tracing';
import { deleteInBatches, type BatchBounds, type SqlExecutor } from '@oncepay/sql';

/** The Postgres channel the relays listen on (see OutboxSignal). */
export const OUTBOX_CHANNEL = 'oncepay_outbox';

/** Adds the event to the outbox inside the caller's transaction `tx`; `topic` is overridden only by tests. */
export function enqueueEvent(
  tx: SqlExecutor,
  event: OncePayEvent,
  topic: string = TOPIC_OF[event.type],
): Promise<void> {
  return enqueueEvents(tx, [{ event, topic }]);
}

/** What `enqueueEvents` takes: an event for its own topic, or an event and a topic (tests). */
export type OutboxItem = OncePayEvent | { event: OncePayEvent; topic: string };

/**
 * Adds the events to the outbox inside the caller's transaction `tx`, in this order, with one INSERT
 * (a batch consumer writes its whole batch's answers at once). After the commit, tell the relay:
 * `OutboxSignal.committed()`.
 */
export async function enqueueEvents(tx: SqlExecutor, items: readonly OutboxItem[]): Promise<void> {
  if (items.length === 0) return;
  await tx.execute(insertOutboxRowsSql(), ...outboxRowParams(items));
}

/**
 * The outbox `INSERT` of `enqueueEvents`, reading its column arrays from `$first` on, for a caller that
 * folds it into a larger statement (the accept path writes transfer, key and event in one), with an
 * optional SQL condition the rows are inserted under.
 * `position` comes from a sequence as rows are inserted, so inserting in array order is sending order.
 */
export function insertOutboxRowsSql(first = 1, onlyIf = 'true'): string {
  const p = (i: number) => `$${first + i}`;
  return `INSERT INTO outbox_messages (id, topic, key, value, headers)
          SELECT id, topic, key, value, headers
            FROM unnest(${p(0)}::uuid[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::jsonb[])
                 WITH ORDINALITY AS row (id, topic, key, value, headers, n)
           WHERE ${onlyIf}
           ORDER BY n`;
}

/**
 * A message the outbox sends as it is given, not an event it encodes: a dead letter written in the
 * transaction that settled its event (ConsumerRunnerOptions.settleBeforeDeadLetter). `topic` is the
 * logical one, like an event's: the relay applies the namespace on the way out.
 */
export interface OutboxRecord {
  /** The outbox row's id: a new one (newId), not the id of the event the record carries. */
  id: string;
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Adds the records to the outbox inside the caller's transaction `tx`, in this order, with one INSERT. */
export async function enqueueRecords(tx: SqlExecutor, records: readonly OutboxRecord[]): Promise<void> {
  if (records.length === 0) return;
  await tx.execute(insertOutboxRowsSql(), ...recordColumns(records));
}

/** The encoded events as the column arrays `insertOutboxRowsSql` reads. */
export function outboxRowParams(items: readonly OutboxItem[]): unknown[] {
  return recordColumns(
    items.map((item) => {
      const { event, topic } = 'event' in item ? item : { event: item, topic: TOPIC_OF[item.type] };
      const encoded = encodeEvent(event);
      // The trace of the request or consumed event that wrote the row, for the relay to continue.
      const headers = { ...encoded.headers, ...traceHeaders(traceContextOf(event)) };
      return { id: event.id, topic, key: encoded.key, value: encoded.value, headers };
    }),
  );
}

function recordColumns(rows: readonly OutboxRecord[]): unknown[] {
  return [
    rows.map((row) => row.id),
    rows.map((row) => row.topic),
    rows.map((row) => row.key),
    rows.map((row) => row.value),
    rows.map((row) => JSON.stringify(row.headers)),
  ];
}

/**
 * Deletes SENT rows older than `olderThan`, in bounded batches (pass a client, not a transaction).
 * A sent row is only history: the event lives on in Kafka and in the consumers' dedup records.
 *
 * Each batch looks at the oldest `batchSize` SENT rows only (the (status, position) index gives them in
 * order) and deletes those sent before the cutoff. The relay sends mostly in position order, so the
 * expired rows are mostly the front of that list; a row sent late (a retry after its backoff, a parked
 * row released) sits among them unexpired and is skipped, so the purge goes on until a batch deletes
 * nothing. Asking instead for `sent_at < cutoff` over all SENT rows (there is no index on sent_at)
 * walks every row still inside the retention window each time the backlog runs out. Rows sent late
 * hold their place until they expire themselves: `batchSize` of them at the front would stop the purge
 * until then.
 */
export function purgeSentOutboxMessages(
  db: SqlExecutor,
  opts: BatchBounds & { olderThan: Date },
): Promise<number> {
  return deleteInBatches(
    db,
    `DELETE FROM outbox_messages WHERE position IN (
       SELECT position FROM (
         SELECT position, sent_at FROM outbox_messages
         WHERE status = 'SENT'
         ORDER BY position
         LIMIT $2::int
         FOR UPDATE SKIP LOCKED) AS oldest
       WHERE sent_at < $1::timestamptz)`,
    [opts.olderThan.toISOString()],
    opts,
    'empty-batch',
  );
}
