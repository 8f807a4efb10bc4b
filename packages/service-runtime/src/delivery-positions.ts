// Where each event of a consumed batch was read, for handlers that receive the decoded events only
// (handleMatching hands on events, not Kafka messages): the dedup records and absorbed duplicates of
// the transfer trail keep it (docs/adr/0013-the-transfer-trail.md).
import type { DeliveryPosition } from '@oncepay/dedup';
import type { ConsumedEvent } from '@oncepay/messaging';

type OncePayEvent = ConsumedEvent['event'];

/** Looks an event of the batch up by identity; an event not of the batch is a caller's bug. */
export type PositionOf = (event: OncePayEvent) => DeliveryPosition;

export function deliveryPositions(batch: readonly ConsumedEvent[]): PositionOf {
  const positions = new Map<OncePayEvent, DeliveryPosition>(
    batch.map(({ event, message }) => [
      event,
      {
        aggregateId: event.aggregateId,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
      },
    ]),
  );
  return (event) => {
    const position = positions.get(event);
    if (position === undefined) throw new Error(`event ${event.id} is not of the consumed batch`);
    return position;
  };
}
