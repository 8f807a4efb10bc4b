// Consumes the ledger's answers (TransferPosted, TransferRejected, HoldPlaced, HoldCaptured, HoldReleased)
// as the `transfer-service` group.
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import { handleMatching, type BatchEventHandler, type IdempotentProducer } from '@oncepay/messaging';
import { deliveryPositions, EventConsumer, KAFKA, PRODUCER } from '@oncepay/service-runtime';
import { isLedgerAnswer, RecordLedgerResultHandler } from './record-ledger-result.handler';

@Injectable()
export class LedgerResultsConsumer extends EventConsumer {
  protected readonly groupId = 'transfer-service';
  protected readonly topics = [TOPICS.ledgerResults];
  // Only the ledger's answers belong on this topic; anything else is acknowledged and left alone.
  protected readonly handleBatch: BatchEventHandler = (batch) =>
    handleMatching(batch, isLedgerAnswer, (answers) =>
      this.handler.executeBatch(answers, deliveryPositions(batch)),
    );

  constructor(
    @Inject(KAFKA) kafka: ConstructorParameters<typeof EventConsumer>[0],
    @Inject(PRODUCER) producer: IdempotentProducer,
    private readonly handler: RecordLedgerResultHandler,
  ) {
    super(kafka, producer);
  }
}
