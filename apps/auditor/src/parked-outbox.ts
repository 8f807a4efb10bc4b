// Reads the outbox rows the relay parked in a service database (see packages/messaging, outbox-relay.ts):
// each holds back the rows of its key until an operator releases or discards it (`npm run outbox`).
// Parked rows are few by nature (each is an alert), so the first MAX_READ are read and the rest counted.
import { z } from 'zod';
import { AuditSourceError, type ReadOnlySource } from './snapshots';

/** The services that publish through an outbox. */
export type OutboxService = 'transfer' | 'ledger';

/** Parked rows read per database; the check lists fewer still (MAX_LISTED_LINES), and counts them all. */
const MAX_READ = 100;

const parkedRowSchema = z.object({
  position: z.string(),
  id: z.string(),
  topic: z.string(),
  key: z.string(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  parkedAt: z.date().nullable(),
  waitingBehind: z.number().int(),
});

export type ParkedOutboxRow = z.output<typeof parkedRowSchema> & { service: OutboxService };

export interface ParkedOutboxRows {
  service: OutboxService;
  /** Every parked row of the database. */
  total: number;
  /** The first MAX_READ of them, in position order. */
  rows: ParkedOutboxRow[];
}

export async function readParkedOutboxRows(
  db: ReadOnlySource,
  service: OutboxService,
): Promise<ParkedOutboxRows> {
  try {
    const result = await db.client.query(
      `SELECT o.position::text AS position, o.id::text AS id, o.topic, o.key, o.attempts,
              o.last_error AS "lastError", o.parked_at AS "parkedAt",
              (SELECT count(*) FROM outbox_messages AS w
                WHERE w.status = 'PENDING' AND w.key = o.key AND w.position > o.position)::int AS "waitingBehind",
              count(*) OVER ()::int AS total
         FROM outbox_messages AS o WHERE o.status = 'PARKED' ORDER BY o.position LIMIT $1`,
      [MAX_READ],
    );
    const total = z.number().int().optional().parse(result.rows[0]?.total) ?? 0;
    const rows = z.array(parkedRowSchema).parse(result.rows.map(({ total: _, ...row }) => row));
    return { service, total, rows: rows.map((row) => ({ ...row, service })) };
  } catch (error) {
    throw new AuditSourceError(db.source, 'read', db.location, error);
  }
}
