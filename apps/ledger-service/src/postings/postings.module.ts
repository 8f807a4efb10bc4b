// Postings: the consumer of transfer requests, the use case that posts (or rejects) each transfer, and
// the transfer trail an operator reads.
import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '@oncepay/http-edge';
import { PostTransferHandler } from './post-transfer/post-transfer.handler';
import { TransferRequestsConsumer } from './post-transfer/transfer-requests.consumer';
import { LedgerTrailController } from './trail/ledger-trail.controller';

@Module({
  controllers: [LedgerTrailController],
  providers: [ApiKeyGuard, PostTransferHandler, TransferRequestsConsumer],
  exports: [PostTransferHandler],
})
export class PostingsModule {}
