// Consumes the ledger's answers (TransferPosted / TransferRejected) as the `transfer-service` group.
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS } from '@oncepay/contracts';
import type { BatchEventHandler, IdempotentProducer } from '@oncepay/messaging';
import { EventConsumer, KAFKA, PRODUCER } from '@oncepay/nest-common';
import { RecordLedgerResultHandler } from './record-ledger-result.handler';

@Injectable()
export class LedgerResultsConsumer extends EventConsumer {
  protected readonly groupId = 'transfer-service';
  protected readonly topics = [TOPICS.ledgerResults];
  protected readonly handleBatch: BatchEventHandler = (batch) =>
    this.handler.executeBatch(batch.map(({ event }) => event));

  constructor(
    @Inject(KAFKA) kafka: ConstructorParameters<typeof EventConsumer>[0],
    @Inject(PRODUCER) producer: IdempotentProducer,
    private readonly handler: RecordLedgerResultHandler,
  ) {
    super(kafka, producer);
  }
}
