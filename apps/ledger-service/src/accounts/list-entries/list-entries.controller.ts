// GET /v1/accounts/{id}/entries?limit=&cursor=: the calling client's account's journal, newest first.
import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ProblemException, ZodValidationPipe } from '@oncepay/http-edge';
import { accountIdSchema } from '../account-id.schema';
import { accountNotFound } from '../account-not-found.problem';
import { toEntryResource, type EntryResource } from '../account.resource';
import { decodeEntriesCursor, encodeEntriesCursor } from './entries-cursor';
import { listEntriesQuerySchema, type EntriesPage, type ListEntriesQuery } from './list-entries.dto';
import { ListEntriesHandler } from './list-entries.handler';

@Controller('v1/accounts')
@UseGuards(ApiKeyGuard)
export class ListEntriesController {
  constructor(private readonly listEntries: ListEntriesHandler) {}

  @Get(':id/entries')
  async list(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(accountIdSchema)) accountId: string,
    @Query(new ZodValidationPipe(listEntriesQuerySchema)) query: ListEntriesQuery,
  ): Promise<EntriesPage<EntryResource>> {
    const result = await this.listEntries.execute({
      accountId,
      clientId,
      limit: query.limit,
      beforeId: query.cursor === undefined ? null : parseCursor(query.cursor),
    });
    if (result.outcome === 'not_found') throw accountNotFound(accountId);
    const last = result.entries.at(-1);
    return {
      data: result.entries.map(toEntryResource),
      nextCursor: result.hasMore && last ? encodeEntriesCursor(last.id) : null,
    };
  }
}

function parseCursor(cursor: string): bigint {
  const beforeId = decodeEntriesCursor(cursor);
  if (beforeId === null) {
    throw new ProblemException(
      400,
      'INVALID_CURSOR',
      'The cursor is not valid',
      'Pass back nextCursor from the previous page unchanged.',
    );
  }
  return beforeId;
}
