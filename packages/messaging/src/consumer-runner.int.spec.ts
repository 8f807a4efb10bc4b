// The consumer's offset commits against the real broker (ADR 0015): coalesced while it runs, yet a
// batch handled is committed soon after even when no batch follows it; what was handled is committed
// by stop(); and a batch still running when stop() begins hands over its own offset once it commits,
// though kafkajs commits nothing by itself once its runner is stopping. A lost commit would only cost
// a redelivery that dedup absorbs; these tests pin that the next owner does not even get it.
import { encodeEvent } from '@oncepay/contracts';
import {
  createTestKafka,
  createTestTopics,
  sampleTransferRequested,
  uniqueName,
  waitFor,
} from '@oncepay/test-support';
import { ConsumerRunner, type ConsumedEvent } from './consumer-runner';

describe('ConsumerRunner offset commits against the real broker', () => {
  const kafka = createTestKafka();
  const topic = uniqueName('offsets');
  /** No dead letter is expected in these tests: one would fail them. */
  const noDeadLetters = {
    send: () => Promise.reject(new Error('no dead letter expected')),
  };

  beforeAll(() => createTestTopics([topic], 1));

  async function produce(count: number): Promise<void> {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const messages = Array.from({ length: count }, () => encodeEvent(sampleTransferRequested()));
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  /** The group's committed offset of the topic's one partition; null when it committed none. */
  async function committedOffset(groupId: string): Promise<bigint | null> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const offset = committed?.partitions[0]?.offset ?? '-1';
      return offset === '-1' ? null : BigInt(offset);
    } finally {
      await admin.disconnect();
    }
  }

  async function endOffset(): Promise<bigint> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [partition] = await admin.fetchTopicOffsets(topic);
      return BigInt(partition!.high);
    } finally {
      await admin.disconnect();
    }
  }

  function runner(
    groupId: string,
    offsetCommitIntervalMs: number,
    handleBatch: (batch: readonly ConsumedEvent[]) => Promise<void>,
  ) {
    return new ConsumerRunner({
      kafka,
      groupId,
      topics: [topic],
      deadLetterProducer: noDeadLetters,
      offsetCommitIntervalMs,
      // The group's offsets start at the topic's beginning: each test reads every message before its own.
      handleBatch: async (batch) => {
        await handleBatch(batch);
        return batch.map(() => 'processed' as const);
      },
    });
  }

  it('commits a handled batch within the interval, though no batch follows it', async () => {
    await produce(3);
    const groupId = uniqueName('idle-commit');
    let handled = 0;
    const consumer = runner(groupId, 1_000, async (batch) => {
      handled += batch.length;
    });
    await consumer.start();
    try {
      const first = await endOffset();
      await waitFor(
        () => committedOffset(groupId),
        (offset) => offset === first,
        { timeoutMs: 30_000, intervalMs: 100, what: 'the first batches committed' },
      );
      // Right after a commit: kafkajs commits again only once the interval has passed since it, at the
      // end of a batch, and none follows this one; the runner's idle commit is what commits it.
      await produce(1);
      const second = await endOffset();
      await waitFor(
        () => committedOffset(groupId),
        (offset) => offset === second,
        { timeoutMs: 30_000, intervalMs: 100, what: 'the idle commit of the last batch' },
      );
      expect(handled).toBe(Number(second));
    } finally {
      await consumer.stop();
    }
  });

  it('commits at stop() what it handled before, without waiting for the interval', async () => {
    await produce(2);
    const end = await endOffset();
    const groupId = uniqueName('stop-commit');
    let handled = 0;
    // An interval far longer than the test: only stop() can commit.
    const consumer = runner(groupId, 600_000, async (batch) => {
      handled += batch.length;
    });
    await consumer.start();
    await waitFor(
      async () => handled,
      (count) => count === Number(end),
      { timeoutMs: 30_000, what: 'every message handled' },
    );
    expect(await committedOffset(groupId)).toBeNull();
    await consumer.stop();
    expect(await committedOffset(groupId)).toBe(end);
  });

  it('hands over the offset of a batch that was still running when stop() began', async () => {
    await produce(2);
    const end = await endOffset();
    const groupId = uniqueName('hand-over');
    let entered!: () => void;
    const inBatch = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // An interval far longer than the test: neither kafkajs nor the idle commit commits on its own.
    const consumer = runner(groupId, 600_000, async () => {
      entered();
      await released;
    });
    await consumer.start();
    await inBatch;
    // stop() first commits what was handled before (nothing), then waits for the batch to end.
    const stopping = consumer.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await stopping;
    expect(await committedOffset(groupId)).toBe(end);
  });
});
