// The ledger's Kafka edge: the consumer group `ledger-service` on the transfer-requests topic. It only
// translates; PostTransferHandler does a batch's work in one transaction (TransferRequested, and a
// hold's CaptureRequested and ReleaseRequested), and the runner commits the offset after that
// transaction committed (see EventConsumer / ConsumerRunner in the shared packages). A TransferRequested
// it must dead-letter is first rejected as UNPROCESSABLE, so no transfer waits forever (except when
// the database refuses the service itself: docs/architecture.md, "Dead letters and the way out"); a
// capture or release is dead-lettered as it is (the ledger never decides how a hold ends).
import { Inject, Injectable } from '@nestjs/common';
import { assertNever, TOPICS, type OncePayEvent, type TransferRequested } from '@oncepay/contracts';
import {
  handleMatching,
  type BatchEventHandler,
  type ConsumedEvent,
  type DeadLetter,
  type HandleOutcome,
  type IdempotentProducer,
} from '@oncepay/messaging';
import { deliveryPositions, EventConsumer, KAFKA, PRODUCER } from '@oncepay/service-runtime';
import { PostTransferHandler, type LedgerRequest, type PostTransferResult } from './post-transfer.handler';

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

  // Only the ledger's requests belong on this topic; anything else is acknowledged and left alone.
  protected handleBatch: BatchEventHandler = (batch) =>
    handleMatching(batch, isLedgerRequest, async (requests) =>
      (await this.postTransfer.executeBatch(requests, deliveryPositions(batch))).map(handleOutcomeOf),
    );

  /**
   * A transfer request the runner is about to dead-letter (its handling kept failing) still gets an
   * answer: the transfer is rejected as UNPROCESSABLE, unless it was decided already, and the dead letter
   * is written to the outbox in that same transaction. A capture or a release is not settled here: how a
   * hold ends is transfer-service's decision, never the ledger's; the runner sends its dead letter.
   * The dead letter stays for the operator to read (`npm run dlq`).
   */
  protected override settleBeforeDeadLetter = async (
    { event }: ConsumedEvent,
    deadLetter: DeadLetter,
  ): Promise<'settled_with_dead_letter' | 'nothing_to_settle'> => {
    if (!isTransferRequested(event)) return 'nothing_to_settle';
    await this.postTransfer.rejectUnprocessable(event, deadLetter);
    return 'settled_with_dead_letter';
  };
}

/** What the consumer runner is told: a decision made now, or one made by an earlier delivery. */
export function handleOutcomeOf(result: PostTransferResult): HandleOutcome {
  switch (result.outcome) {
    case 'posted':
    case 'rejected':
    case 'held':
    case 'captured':
    case 'released':
      return 'processed';
    case 'duplicate_event':
    case 'already_decided':
    case 'already_settled':
      return 'duplicate';
    default:
      return assertNever(result);
  }
}

function isTransferRequested(event: OncePayEvent): event is TransferRequested {
  return event.type === 'TransferRequested';
}

function isLedgerRequest(event: OncePayEvent): event is LedgerRequest {
  return isTransferRequested(event) || event.type === 'CaptureRequested' || event.type === 'ReleaseRequested';
}
