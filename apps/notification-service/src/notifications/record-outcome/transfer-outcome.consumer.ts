// The Kafka edge of the record-outcome use case: decoded, validated events arrive from the runner;
// the final outcomes (of payments, refunds and holds) are recorded a batch at a time, every other event type is left alone.
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS, type OncePayEvent } from '@oncepay/contracts';
import {
  handleMatching,
  type BatchEventHandler,
  type HandleOutcome,
  type IdempotentProducer,
} from '@oncepay/messaging';
import { deliveryPositions, EventConsumer, KAFKA, PRODUCER } from '@oncepay/service-runtime';
import type { TransferOutcomeEvent } from '../domain/notification-body';
import { RecordOutcomeHandler, type RecordOutcomeResult } from './record-outcome.handler';

@Injectable()
export class TransferOutcomeConsumer extends EventConsumer {
  /** Every instance shares the group, so Kafka spreads the partitions across them. */
  protected readonly groupId = 'notification-service';
  protected readonly topics: string[] = [TOPICS.transferOutcomes];

  constructor(
    @Inject(KAFKA) kafka: ConstructorParameters<typeof EventConsumer>[0],
    @Inject(PRODUCER) producer: IdempotentProducer,
    private readonly recordOutcome: RecordOutcomeHandler,
  ) {
    super(kafka, producer);
  }

  // The other event types share the topic's contract but are none of this service's business.
  protected handleBatch: BatchEventHandler = (batch) =>
    handleMatching(batch, isTransferOutcome, async (outcomes) =>
      (await this.recordOutcome.executeBatch(outcomes, deliveryPositions(batch))).map(toHandleOutcome),
    );
}

function isTransferOutcome(event: OncePayEvent): event is TransferOutcomeEvent {
  switch (event.type) {
    case 'TransferCompleted':
    case 'TransferFailed':
    case 'TransferCaptured':
    case 'TransferVoided':
    case 'TransferExpired':
      return true;
    case 'TransferRequested':
    case 'TransferPosted':
    case 'TransferRejected':
    case 'HoldPlaced':
    case 'CaptureRequested':
    case 'HoldCaptured':
    case 'ReleaseRequested':
    case 'HoldReleased':
      return false;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Any result but `recorded` means the transfer's notification existed before this delivery: a duplicate. */
function toHandleOutcome(result: RecordOutcomeResult): HandleOutcome {
  switch (result.outcome) {
    case 'recorded':
      return 'processed';
    case 'duplicate_event':
    case 'outcome_already_recorded':
    case 'conflicting_outcome':
      return 'duplicate';
    default: {
      const unreachable: never = result;
      return unreachable;
    }
  }
}
