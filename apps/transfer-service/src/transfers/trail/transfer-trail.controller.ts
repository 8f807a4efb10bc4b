// GET /v1/ops/transfers/{transferId}/trail: what transfer-service knows of one transfer, in time order
// (docs/adr/0013-the-transfer-trail.md): accepted, its outbox rows, the ledger answers it consumed (with
// where it read them), the duplicates absorbed and the answers its state machine ignored, its status.
import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import {
  ApiKeyGuard,
  assertTrailReader,
  ClientRole,
  inTimeOrder,
  ZodValidationPipe,
  type Role,
  type Trail,
} from '@oncepay/http-edge';
import {
  absorbedDuplicateEntries,
  capTrailRows,
  causesOf,
  consumedEntry,
  outboxRowEntry,
  PG_DATABASE,
  readConsumedRecords,
  readOutboxRows,
  TRAIL_QUERY_LIMIT,
} from '@oncepay/service-runtime';
import type { PgDatabase } from '@oncepay/sql';
import { RECORD_LEDGER_RESULT_CONSUMER } from '../record-ledger-result/record-ledger-result.handler';
import {
  acceptedEntry,
  staleEntry,
  statusEntry,
  type StaleEventRow,
  type TransferTrailRow,
} from './transfer-trail.entries';

@Controller('v1/ops/transfers')
@UseGuards(ApiKeyGuard)
export class TransferTrailController {
  constructor(@Inject(PG_DATABASE) private readonly db: PgDatabase) {}

  @Get(':transferId/trail')
  async trail(
    @ClientRole() role: Role,
    @Param('transferId', new ZodValidationPipe(idSchema)) transferId: string,
  ): Promise<Trail> {
    assertTrailReader(role);
    const [transfer] = await this.db.query<TransferTrailRow[]>(
      `SELECT id::text, client_id, amount_minor::text, currency, status::text, version, last_event_id::text,
              hold_expires_at, refund_of::text, created_at, updated_at
         FROM transfers WHERE id = $1::uuid`,
      transferId,
    );
    // Each kind at most TRAIL_ROWS_PER_KIND rows; a cut one ends in a `truncated` entry.
    const outbox = capTrailRows(
      await readOutboxRows(this.db, transferId),
      'outbox rows',
      (row) => row.created_at,
    );
    // The answers it consumed, found by id: each final event or hold step names its cause, and a hold
    // still HELD names the HoldPlaced it applied last. Ids that are its own events find no record.
    const answerIds = [...causesOf(outbox.rows), ...(transfer ? [transfer.last_event_id] : [])];
    const consumed = capTrailRows(
      await readConsumedRecords(this.db, RECORD_LEDGER_RESULT_CONSUMER, answerIds),
      'ledger answers consumed',
      (row) => row.processed_at,
    );
    const absorbed = await absorbedDuplicateEntries(this.db, transferId);
    const stale = capTrailRows(
      await this.db.query<StaleEventRow[]>(
        `SELECT consumer, event_id::text, event_type, sequence, transfer_version, verdict, detail, topic,
                kafka_partition, kafka_offset::text, ignored_at
           FROM stale_events WHERE transfer_id = $1::uuid ORDER BY ignored_at, id LIMIT $2`,
        transferId,
        TRAIL_QUERY_LIMIT,
      ),
      'ignored ledger answers',
      (row) => row.ignored_at,
    );
    return {
      service: 'transfer',
      transferId,
      entries: inTimeOrder([
        ...(transfer ? [acceptedEntry(transfer)] : []),
        // An answer and the final event it caused share their transaction's instant: answer first.
        ...consumed.rows.map((row) => consumedEntry(row, "the ledger's answer")),
        ...consumed.truncated,
        ...outbox.rows.map(outboxRowEntry),
        ...outbox.truncated,
        ...absorbed,
        ...stale.rows.map(staleEntry),
        ...stale.truncated,
        ...(transfer ? [statusEntry(transfer)] : []),
      ]),
    };
  }
}
