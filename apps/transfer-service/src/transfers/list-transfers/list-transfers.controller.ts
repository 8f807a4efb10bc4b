// GET /v1/transfers?status=&accountId=&limit=&cursor=: the calling client's transfers, newest first,
// with keyset (cursor) pagination so pages stay stable while new transfers arrive.
import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ProblemException, ZodValidationPipe } from '@oncepay/http-edge';
import { PRISMA } from '@oncepay/service-runtime';
import type { Prisma } from '../../generated/prisma/client';
import type { TransferDatabase } from '../../database';
import { readTransferResources } from '../transfer-reads';
import type { TransferResource } from '../transfer.resource';
import {
  decodeCursor,
  encodeCursor,
  listTransfersQuerySchema,
  type ListTransfersQuery,
} from './list-transfers.dto';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class ListTransfersController {
  constructor(@Inject(PRISMA) private readonly db: TransferDatabase) {}

  @Get()
  async listTransfers(
    @ClientId() clientId: string,
    @Query(new ZodValidationPipe(listTransfersQuerySchema)) query: ListTransfersQuery,
  ): Promise<{ data: TransferResource[]; nextCursor: string | null }> {
    const rows = await this.db.transfer.findMany({
      where: { AND: [{ clientId }, ...this.filters(query)] },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      data: await readTransferResources(this.db, page),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  private filters(query: ListTransfersQuery): Prisma.TransferWhereInput[] {
    const filters: Prisma.TransferWhereInput[] = [];
    if (query.status) filters.push({ status: query.status });
    if (query.accountId)
      filters.push({ OR: [{ fromAccountId: query.accountId }, { toAccountId: query.accountId }] });
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor);
      if (!cursor)
        throw new ProblemException(
          400,
          'INVALID_CURSOR',
          'The cursor is not valid',
          'Pass back nextCursor unchanged.',
        );
      filters.push({
        OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
      });
    }
    return filters;
  }
}
