// GET /v1/transfers/{id}/refunds: a payment's refunds (each a transfer of kind REFUND), newest first,
// with the transfer list's keyset pagination. The payment must be the calling client's (else 404).
import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import { ApiKeyGuard, ClientId, ProblemException, ZodValidationPipe } from '@oncepay/http-edge';
import { PRISMA } from '@oncepay/service-runtime';
import type { TransferDatabase } from '../../database';
import { decodeCursor, encodeCursor } from '../list-transfers/list-transfers.dto';
import { readTransferResources } from '../transfer-reads';
import { transferNotFound } from '../transfer-problems';
import type { TransferResource } from '../transfer.resource';
import { listRefundsQuerySchema, type ListRefundsQuery } from './list-refunds.dto';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class ListRefundsController {
  constructor(@Inject(PRISMA) private readonly db: TransferDatabase) {}

  @Get(':id/refunds')
  async listRefunds(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(idSchema)) id: string,
    @Query(new ZodValidationPipe(listRefundsQuerySchema)) query: ListRefundsQuery,
  ): Promise<{ data: TransferResource[]; nextCursor: string | null }> {
    const payment = await this.db.transfer.findFirst({ where: { id, clientId }, select: { id: true } });
    if (!payment) throw transferNotFound(id);
    const rows = await this.db.transfer.findMany({
      where: { AND: [{ refundOf: id, clientId }, ...this.after(query.cursor)] },
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

  private after(value: string | undefined) {
    if (value === undefined) return [];
    const cursor = decodeCursor(value);
    if (!cursor)
      throw new ProblemException(
        400,
        'INVALID_CURSOR',
        'The cursor is not valid',
        'Pass back nextCursor unchanged.',
      );
    return [
      {
        OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }],
      },
    ];
  }
}
