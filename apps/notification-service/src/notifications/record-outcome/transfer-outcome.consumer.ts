// The Kafka edge of the record-outcome use case: decoded, validated events arrive from the runner;
// the two final outcomes are recorded, every other event type is none of this service's business.
import { Inject, Injectable } from '@nestjs/common';
import { TOPICS, type OncePayEvent } from '@oncepay/contracts';
import type { HandleOutcome, IdempotentProducer } from '@oncepay/messaging';
import { EventConsumer, KAFKA, PRODUCER } from '@oncepay/nest-common';
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

  protected handle = async (event: OncePayEvent): Promise<HandleOutcome> => {
    switch (event.type) {
      case 'TransferCompleted':
      case 'TransferFailed':
        return toHandleOutcome(await this.recordOutcome.execute(event));
      case 'TransferRequested':
      case 'TransferPosted':
      case 'TransferRejected':
        return 'ignored';
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  };
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
