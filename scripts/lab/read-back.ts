// Reads a lab topic back from the beginning, as the notifier reads (read_committed: an aborted
// transaction's messages are skipped), and counts the messages whose id was already read: what a
// producer retry or a republished answer put on the topic a second time. The topic is final when this
// runs (every producer of the mode has stopped), so its end is known before reading starts.
import { decodeEvent } from '@oncepay/contracts';
import type { createKafkaClient } from '@oncepay/messaging';

type Kafka = ReturnType<typeof createKafkaClient>;
type Admin = ReturnType<Kafka['admin']>;

export async function countDuplicatesOnTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  groupId: string,
  deadline: number,
): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const unread = new Map(
    ends.filter((end) => BigInt(end.high) > 0n).map((end) => [end.partition, BigInt(end.high)]),
  );
  if (unread.size === 0) return 0;
  const seen = new Set<string>();
  let duplicates = 0;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  let done: () => void = () => undefined;
  const allRead = new Promise<void>((resolve) => (done = resolve));
  // lastOffset counts transaction markers and aborted messages too, which eachMessage never sees.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = unread.get(payload.partition);
    if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) unread.delete(payload.partition);
    if (unread.size === 0) done();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const decoded = decodeEvent(message.value);
        if (!decoded.ok)
          throw new Error(`undecodable lab message at ${topic}/${partition}@${message.offset}`);
        if (seen.has(decoded.event.id)) duplicates += 1;
        else seen.add(decoded.event.id);
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `could not read ${topic} back to its end in time (partitions left: ${[...unread.keys()].join(', ')})`,
            ),
          ),
        Math.max(0, deadline - Date.now()),
      );
    });
    await Promise.race([allRead, expired]).finally(() => clearTimeout(timer));
    return duplicates;
  } finally {
    await consumer.disconnect();
  }
}
