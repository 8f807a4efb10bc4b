// GET /v1/ops/transfers/{transferId}/trail: what the ledger knows of one transfer, in time order
// (docs/adr/0013-the-transfer-trail.md): the requests it consumed (with where it read them), its one
// decision, the journal entries, the hold, its answers' outbox rows and the duplicates it absorbed.
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
import { POST_TRANSFER_CONSUMER } from '../post-transfer/post-transfer.handler';
import {
  decisionEntry,
  holdEntries,
  postingEntry,
  type DecisionTrailRow,
  type HoldTrailRow,
  type PostingTrailRow,
} from './ledger-trail.entries';

@Controller('v1/ops/transfers')
@UseGuards(ApiKeyGuard)
export class LedgerTrailController {
  constructor(@Inject(PG_DATABASE) private readonly db: PgDatabase) {}

  @Get(':transferId/trail')
  async trail(
    @ClientRole() role: Role,
    @Param('transferId', new ZodValidationPipe(idSchema)) transferId: string,
  ): Promise<Trail> {
    assertTrailReader(role);
    // Each kind at most TRAIL_ROWS_PER_KIND rows; a cut one ends in a `truncated` entry.
    const outbox = capTrailRows(
      await readOutboxRows(this.db, transferId),
      'outbox rows',
      (row) => row.created_at,
    );
    // Each answer names the request it answers (causationId): the requests consumed, found by id.
    const consumed = capTrailRows(
      await readConsumedRecords(this.db, POST_TRANSFER_CONSUMER, causesOf(outbox.rows)),
      'requests consumed',
      (row) => row.processed_at,
    );
    // One decision and one hold at most: the transfer id is their primary key.
    const decisions = await this.db.query<DecisionTrailRow[]>(
      `SELECT outcome::text, reason, decided_at, refund_of::text FROM ledger_decisions WHERE transfer_id = $1::uuid`,
      transferId,
    );
    const postings = capTrailRows(
      await this.db.query<PostingTrailRow[]>(
        `SELECT account_id::text, direction::text, amount_minor::text, currency, posted_at
           FROM journal_entries WHERE transfer_id = $1::uuid ORDER BY id LIMIT $2`,
        transferId,
        TRAIL_QUERY_LIMIT,
      ),
      'journal entries',
      (row) => row.posted_at,
    );
    const holds = await this.db.query<HoldTrailRow[]>(
      `SELECT account_id::text, amount_minor::text, currency, status::text, captured_minor::text,
              release::text, placed_at, settled_at
         FROM holds WHERE transfer_id = $1::uuid`,
      transferId,
    );
    const absorbed = await absorbedDuplicateEntries(this.db, transferId);
    return {
      service: 'ledger',
      transferId,
      // A request, its decision, hold, postings and answer share their transaction's instant: that order.
      entries: inTimeOrder([
        ...consumed.rows.map((row) => consumedEntry(row, 'the request')),
        ...consumed.truncated,
        ...decisions.map(decisionEntry),
        ...holds.flatMap(holdEntries),
        ...postings.rows.map(postingEntry),
        ...postings.truncated,
        ...outbox.rows.map(outboxRowEntry),
        ...outbox.truncated,
        ...absorbed,
      ]),
    };
  }
}
