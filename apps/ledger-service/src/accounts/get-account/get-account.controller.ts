// GET /v1/accounts/{id}: one account of the calling client; another client's account is a 404.
import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, ClientId, ZodValidationPipe } from '@oncepay/http-edge';
import { accountIdSchema } from '../account-id.schema';
import { accountNotFound } from '../account-not-found.problem';
import { toAccountResource, type AccountResource } from '../account.resource';
import { GetAccountHandler } from './get-account.handler';

@Controller('v1/accounts')
@UseGuards(ApiKeyGuard)
export class GetAccountController {
  constructor(private readonly getAccount: GetAccountHandler) {}

  @Get(':id')
  async get(
    @ClientId() clientId: string,
    @Param('id', new ZodValidationPipe(accountIdSchema)) accountId: string,
  ): Promise<AccountResource> {
    const result = await this.getAccount.execute({ accountId, clientId });
    if (result.outcome === 'not_found') throw accountNotFound(accountId);
    return toAccountResource(result.account);
  }
}
