// Reads one account of the calling client, with its current balance.
import { Injectable } from '@nestjs/common';
import type { Account } from '../../generated/prisma/client';
import { AccountRepository } from '../account.repository';

export interface GetAccountQuery {
  accountId: string;
  clientId: string;
}

/** `not_found`: no such account, or it belongs to another client (the caller cannot tell which). */
export type GetAccountResult = { outcome: 'found'; account: Account } | { outcome: 'not_found' };

@Injectable()
export class GetAccountHandler {
  constructor(private readonly accounts: AccountRepository) {}

  async execute(query: GetAccountQuery): Promise<GetAccountResult> {
    const account = await this.accounts.findOwned(query.accountId, query.clientId);
    return account ? { outcome: 'found', account } : { outcome: 'not_found' };
  }
}
