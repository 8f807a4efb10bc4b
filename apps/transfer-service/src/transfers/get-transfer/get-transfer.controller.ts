// GET /v1/transfers/{id}: one transfer of the calling client; another client's transfer is a 404.
import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { idSchema } from '@oncepay/contracts';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import { PRISMA } from '@oncepay/service-runtime';
import type { TransferDatabase } from '../../database';
import { readTransferResources } from '../transfer-reads';
import { transferNotFound } from '../transfer-problems';
import type { TransferResource } from '../transfer.resource';

@Controller('v1/transfers')
@UseGuards(ApiKeyGuard)
export class GetTransferController {
  constructor(@Inject(PRISMA) private readonly db: TransferDatabase) {}

  @Get(':id')
  async getTransfer(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(idSchema)) id: string,
  ): Promise<TransferResource> {
    const row = await this.db.transfer.findFirst({ where: { id, clientId } });
    if (!row) throw transferNotFound(id);
    const [resource] = await readTransferResources(this.db, [row]);
    if (resource === undefined) throw new Error(`transfer ${id} read without its resource`);
    return resource;
  }
}
