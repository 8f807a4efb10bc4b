// The transfers business area: request, read and list transfers; capture, void and expire holds;
// refund payments; apply the ledger's answers.
import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '@oncepay/http-edge';
import { CaptureHoldController } from './capture-hold/capture-hold.controller';
import { ExpireHoldsJob } from './expire-holds/expire-holds.job';
import { GetTransferController } from './get-transfer/get-transfer.controller';
import { HoldStepHandler } from './hold-step/hold-step.handler';
import { ListRefundsController } from './list-refunds/list-refunds.controller';
import { ListTransfersController } from './list-transfers/list-transfers.controller';
import { LedgerResultsConsumer } from './record-ledger-result/ledger-results.consumer';
import { RecordLedgerResultHandler } from './record-ledger-result/record-ledger-result.handler';
import { RefundTransferController } from './refund-transfer/refund-transfer.controller';
import { RefundTransferHandler } from './refund-transfer/refund-transfer.handler';
import { AcceptBatcher } from './request-transfer/accept-batcher';
import { RequestTransferController } from './request-transfer/request-transfer.controller';
import { RequestTransferHandler } from './request-transfer/request-transfer.handler';
import { TransferMetrics } from './transfer-metrics';
import { TransferTrailController } from './trail/transfer-trail.controller';
import { VoidHoldController } from './void-hold/void-hold.controller';

@Module({
  controllers: [
    RequestTransferController,
    ListTransfersController,
    GetTransferController,
    CaptureHoldController,
    VoidHoldController,
    RefundTransferController,
    ListRefundsController,
    TransferTrailController,
  ],
  providers: [
    ApiKeyGuard,
    TransferMetrics,
    AcceptBatcher,
    RequestTransferHandler,
    HoldStepHandler,
    RefundTransferHandler,
    RecordLedgerResultHandler,
    LedgerResultsConsumer,
    ExpireHoldsJob,
  ],
})
export class TransfersModule {}
