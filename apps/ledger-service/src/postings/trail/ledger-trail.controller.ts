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
  absorbedEntry,
  consumedEntry,
  outboxRowEntry,
  PG_DATABASE,
  readAbsorbedDuplicates,
  readConsumedRecords,
  readOutboxRows,
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
    const outbox = await readOutboxRows(this.db, transferId);
    // Each answer names the request it answers (causationId): the requests consumed, found by id.
    const consumed = await readConsumedRecords(
      this.db,
      POST_TRANSFER_CONSUMER,
      outbox.flatMap((row) => (row.causation_id === null ? [] : [row.causation_id])),
    );
    const decisions = await this.db.query<DecisionTrailRow[]>(
      `SELECT outcome::text, reason, decided_at, refund_of::text FROM ledger_decisions WHERE transfer_id = $1::uuid`,
      transferId,
    );
    const postings = await this.db.query<PostingTrailRow[]>(
      `SELECT account_id::text, direction::text, amount_minor::text, currency, posted_at
         FROM journal_entries WHERE transfer_id = $1::uuid ORDER BY id`,
      transferId,
    );
    const holds = await this.db.query<HoldTrailRow[]>(
      `SELECT account_id::text, amount_minor::text, currency, status::text, captured_minor::text,
              release::text, placed_at, settled_at
         FROM holds WHERE transfer_id = $1::uuid`,
      transferId,
    );
    const absorbed = await readAbsorbedDuplicates(this.db, transferId);
    return {
      service: 'ledger',
      transferId,
      // A request, its decision, hold, postings and answer share their transaction's instant: that order.
      entries: inTimeOrder([
        ...consumed.map((row) => consumedEntry(row, 'the request')),
        ...decisions.map(decisionEntry),
        ...holds.flatMap(holdEntries),
        ...postings.map(postingEntry),
        ...outbox.map(outboxRowEntry),
        ...absorbed.map(absorbedEntry),
      ]),
    };
  }
}
