// The ledger's Kafka edge: the consumer group `ledger-service` on the transfer-requests topic. It only
// translates; PostTransferHandler does a batch's work in one transaction, and the runner commits the
// offset after that transaction committed (see EventConsumer / ConsumerRunner in the shared packages).
// A request it must dead-letter is first rejected as UNPROCESSABLE, so no transfer waits forever.
import { Inject, Injectable } from '@nestjs/common';
import { assertNever, TOPICS, type OncePayEvent, type TransferRequested } from '@oncepay/contracts';
import {
  handleMatching,
  type BatchEventHandler,
  type ConsumedEvent,
  type HandleOutcome,
  type IdempotentProducer,
} from '@oncepay/messaging';
import { EventConsumer, KAFKA, PRODUCER } from '@oncepay/service-runtime';
import { PostTransferHandler, type PostTransferResult } from './post-transfer.handler';

type KafkaClient = ConstructorParameters<typeof EventConsumer>[0];

@Injectable()
export class TransferRequestsConsumer extends EventConsumer {
  protected readonly groupId = 'ledger-service';
  protected readonly topics = [TOPICS.transferRequests];

  constructor(
    @Inject(KAFKA) kafka: KafkaClient,
    @Inject(PRODUCER) producer: IdempotentProducer,
    private readonly postTransfer: PostTransferHandler,
  ) {
    super(kafka, producer);
  }

  // Only TransferRequested belongs on this topic; anything else is acknowledged and left alone.
  protected handleBatch: BatchEventHandler = (batch) =>
    handleMatching(batch, isTransferRequested, async (requests) =>
      (await this.postTransfer.executeBatch(requests)).map(handleOutcomeOf),
    );

  /**
   * A request the runner is about to dead-letter (its handling kept failing) still gets an answer: the
   * transfer is rejected as UNPROCESSABLE, unless it was decided already. The dead letter stays for the
   * operator to read (`npm run dlq`).
   */
  protected override settleBeforeDeadLetter = async ({ event }: ConsumedEvent): Promise<void> => {
    if (isTransferRequested(event)) await this.postTransfer.rejectUnprocessable(event);
  };
}

/** What the consumer runner is told: a decision made now, or one made by an earlier delivery. */
export function handleOutcomeOf(result: PostTransferResult): HandleOutcome {
  switch (result.outcome) {
    case 'posted':
    case 'rejected':
      return 'processed';
    case 'duplicate_event':
    case 'already_decided':
      return 'duplicate';
    default:
      return assertNever(result);
  }
}

function isTransferRequested(event: OncePayEvent): event is TransferRequested {
  return event.type === 'TransferRequested';
}
