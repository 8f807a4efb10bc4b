// Proves the console's wire observer against the real broker: it sees every message produced after its
// start and none from before, in partition order, the same event twice as two messages (telling them apart
// is the console's job), a message that is no event as undecodable without dead-lettering it, and it
// commits no offset for its group.
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
  const kafka = createTestKafka();

  beforeAll(() => createTestTopics([topic]));

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
});
