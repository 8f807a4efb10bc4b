// Postings: the consumer of transfer requests and the use case that posts (or rejects) each transfer.
import { Module } from '@nestjs/common';
import { PostTransferHandler } from './post-transfer/post-transfer.handler';
import { TransferRequestsConsumer } from './post-transfer/transfer-requests.consumer';

@Module({
  providers: [PostTransferHandler, TransferRequestsConsumer],
  exports: [PostTransferHandler],
})
export class PostingsModule {}
