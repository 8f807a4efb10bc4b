// Accounts over REST: open one, read its balance, page through its journal entries.
import { Module } from '@nestjs/common';
import { AccountRepository } from './account.repository';
import { GetAccountController } from './get-account/get-account.controller';
import { GetAccountHandler } from './get-account/get-account.handler';
import { ListEntriesController } from './list-entries/list-entries.controller';
import { ListEntriesHandler } from './list-entries/list-entries.handler';
import { OpenAccountController } from './open-account/open-account.controller';
import { OpenAccountHandler } from './open-account/open-account.handler';

@Module({
  controllers: [OpenAccountController, GetAccountController, ListEntriesController],
  providers: [AccountRepository, OpenAccountHandler, GetAccountHandler, ListEntriesHandler],
})
export class AccountsModule {}
