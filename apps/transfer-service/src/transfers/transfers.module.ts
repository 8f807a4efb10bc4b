// The transfers business area: request, read and list transfers; apply the ledger's answers.
import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '@oncepay/http-edge';
import { GetTransferController } from './get-transfer/get-transfer.controller';
import { ListTransfersController } from './list-transfers/list-transfers.controller';
import { LedgerResultsConsumer } from './record-ledger-result/ledger-results.consumer';
import { RecordLedgerResultHandler } from './record-ledger-result/record-ledger-result.handler';
import { RequestTransferController } from './request-transfer/request-transfer.controller';
import { RequestTransferHandler } from './request-transfer/request-transfer.handler';
import { TransferMetrics } from './transfer-metrics';

@Module({
  controllers: [RequestTransferController, ListTransfersController, GetTransferController],
  providers: [
    ApiKeyGuard,
    TransferMetrics,
    RequestTransferHandler,
    RecordLedgerResultHandler,
    LedgerResultsConsumer,
  ],
})
export class TransfersModule {}
