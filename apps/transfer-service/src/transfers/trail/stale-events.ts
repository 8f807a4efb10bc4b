// `stale_events`: the ledger answers the state machine ignored, each with why and the transfer's version
// then, written in the batch's transaction with the answer's dedup record, so a redelivery of the same
// answer is absorbed by dedup and not recorded twice. The transfer trail's `stale-ignored` entries.
import type { PositionOf } from '@oncepay/service-runtime';
import { deleteExpired, type BatchBounds, type SqlExecutor } from '@oncepay/sql';
import type { LedgerAnswer } from '@oncepay/transfer-state-machine';

/**
 * Why an answer changed nothing: `stale` (older than the last applied event), `duplicate` (its sequence
 * or its outcome was applied already, under another event id) or `illegal` (not a transition the
 * transfer can make; `detail` names the rule).
 */
export type IgnoredVerdict = 'stale' | 'duplicate' | 'illegal';

export interface IgnoredAnswer {
  answer: LedgerAnswer;
  /** The transfer's version when the answer arrived; null when transfer-service does not know it. */
  transferVersion: number | null;
  verdict: IgnoredVerdict;
  detail: string | null;
}

/** One INSERT for the batch's ignored answers (usually none, and then no statement at all). */
export async function recordStaleEvents(
  tx: SqlExecutor,
  consumer: string,
  ignored: readonly IgnoredAnswer[],
  positionOf: PositionOf | undefined,
): Promise<void> {
  if (ignored.length === 0) return;
  const at = ignored.map(({ answer }) => positionOf?.(answer));
  await tx.execute(
    `INSERT INTO stale_events (consumer, event_id, event_type, transfer_id, sequence, transfer_version,
                               verdict, detail, topic, kafka_partition, kafka_offset)
     SELECT $1, event_id, event_type, transfer_id, sequence, transfer_version, verdict, detail, topic,
            kafka_partition, kafka_offset
       FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::int[], $6::int[], $7::text[], $8::text[],
                   $9::text[], $10::int[], $11::bigint[])
            AS row (event_id, event_type, transfer_id, sequence, transfer_version, verdict, detail, topic,
                    kafka_partition, kafka_offset)`,
    consumer,
    ignored.map(({ answer }) => answer.id),
    ignored.map(({ answer }) => answer.type),
    ignored.map(({ answer }) => answer.aggregateId),
    ignored.map(({ answer }) => answer.sequence),
    ignored.map(({ transferVersion }) => transferVersion),
    ignored.map(({ verdict }) => verdict),
    ignored.map(({ detail }) => detail),
    at.map((position) => position?.topic ?? null),
    at.map((position) => position?.partition ?? null),
    at.map((position) => position?.offset ?? null),
  );
}

/** Retention, with processed_messages' window: the record of an ignored answer goes with its dedup record. */
export function purgeStaleEvents(db: SqlExecutor, opts: BatchBounds & { olderThan: Date }): Promise<number> {
  return deleteExpired(
    db,
    { name: 'stale_events', key: ['id'], timeColumn: 'ignored_at' },
    opts.olderThan,
    opts,
  );
}
