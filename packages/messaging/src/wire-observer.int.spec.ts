// Proves the console's wire observer against the real broker: it sees every message produced after its
// start and none from before, in partition order, the same event twice as two messages (telling them apart
// is the console's job), a message that is no event as undecodable without dead-lettering it, and it
// commits no offset for its group; and a rejoin (another member joins and partitions move) resumes where
// it stood instead of reading the topic again from its beginning.
import { encodeEvent } from '@oncepay/contracts';
import {
  createTestKafka,
  createTestTopics,
  sampleTransferRequested,
  uniqueName,
  waitFor,
} from '@oncepay/test-support';
import { deadLetterTopicOf } from '@oncepay/contracts';
import { WireObserver, type ObservedMessage } from './wire-observer';

describe('WireObserver against the real broker', () => {
  const topic = uniqueName('observed');
  const rejoined = uniqueName('rejoined');
  const kafka = createTestKafka();

  beforeAll(() => Promise.all([createTestTopics([topic]), createTestTopics([rejoined], 2)]));

  it('sees what is produced after its start, decoded, and leaves no trace of itself', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Before the observer starts: never seen (the first message it hands on is the one below).
    await producer.send({ topic, acks: -1, messages: [encodeEvent(sampleTransferRequested())] });

    const groupId = uniqueName('observer');
    const seen: ObservedMessage[] = [];
    const observer = new WireObserver({ kafka, groupId, topics: [topic], onMessage: (m) => seen.push(m) });
    await observer.start();
    expect(observer.status).toBe('running');
    try {
      const event = sampleTransferRequested();
      const twice = encodeEvent(event);
      await producer.send({
        topic,
        acks: -1,
        messages: [twice, twice, { key: event.aggregateId, value: 'not json' }],
      });
      await waitFor(
        async () => seen.length,
        (count) => count >= 3,
        { timeoutMs: 60_000, what: 'the observer to see the three messages' },
      );
      expect(seen.map(({ decoded }) => (decoded.ok ? decoded.event.id : decoded.reason))).toEqual([
        event.id,
        event.id,
        'value is not valid JSON',
      ]);
      expect(seen.map(({ message }) => message.partition)).toEqual(Array(3).fill(seen[0]?.message.partition));
      const offsets = seen.map(({ message }) => BigInt(message.offset));
      expect(offsets[1]).toBe((offsets[0] as bigint) + 1n);
    } finally {
      await observer.stop();
      await producer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed.flatMap(({ partitions }) => partitions.map((p) => p.offset))).toEqual(
        expect.not.arrayContaining([expect.stringMatching(/^\d+$/)]),
      );
      expect(await admin.listTopics()).not.toContain(deadLetterTopicOf(topic));
    } finally {
      await admin.disconnect();
    }
  });

  it('resumes where it stood when its group rebalances, reading nothing again', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sendOneEach = (count: number) =>
      producer.send({
        topic: rejoined,
        acks: -1,
        messages: [0, 1].flatMap((partition) =>
          Array.from({ length: count }, () => ({ ...encodeEvent(sampleTransferRequested()), partition })),
        ),
      });
    // History before the observer: what a rejoin from the beginning would read again.
    await sendOneEach(5);
    const groupId = uniqueName('observer');
    const seenBy = { first: [] as ObservedMessage[], second: [] as ObservedMessage[] };
    const first = new WireObserver({
      kafka,
      groupId,
      topics: [rejoined],
      onMessage: (m) => seenBy.first.push(m),
    });
    const second = new WireObserver({
      kafka,
      groupId,
      topics: [rejoined],
      onMessage: (m) => seenBy.second.push(m),
    });
    await first.start();
    try {
      await sendOneEach(1);
      await waitFor(
        async () => seenBy.first.length,
        (count) => count >= 2,
        { timeoutMs: 60_000, what: 'the first observer to see one message per partition' },
      );
      // A second member joins: the group rebalances, the first rejoins with one partition left.
      await second.start();
      await waitFor(
        async () => first.joins,
        (joins) => joins >= 2,
        { timeoutMs: 60_000, what: 'the first observer to rejoin' },
      );
      await sendOneEach(1);
      await waitFor(
        async () => seenBy.first.length + seenBy.second.length,
        (count) => count >= 4,
        { timeoutMs: 60_000, what: 'the two observers to see the last message of each partition' },
      );
      expect({ first: first.skipped, second: second.skipped }).toEqual({ first: 0, second: 0 });
      // Each message after its observer's start, once: nothing from the history.
      const offsets = [...seenBy.first, ...seenBy.second].map(
        ({ message }) => `${message.partition}@${message.offset}`,
      );
      expect(offsets.sort()).toEqual(['0@5', '0@6', '1@5', '1@6']);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await producer.disconnect();
    }
  }, 180_000);
});
