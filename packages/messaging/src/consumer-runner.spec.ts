// Proves when the consumer runner dead-letters an event that its handler cannot handle: after the
// bounded attempts while it runs, and never while it stops (a restart, a rebalance), when what fails is
// most likely the closing pool or client: then the event is left uncommitted for its next owner.
import { encodeEvent } from '@oncepay/contracts';
import { sampleTransferRequested } from '@oncepay/test-support';
import type { Kafka } from 'kafkajs';
import { ConsumerRunner, type BatchEventHandler } from './consumer-runner';
import type { IncomingMessage } from './incoming-message';
import type { ProducerRecord } from './producer';

function runnerWith(handleBatch: BatchEventHandler, deadLetters: ProducerRecord[]): ConsumerRunner {
  // processBatch never touches the kafkajs consumer; creating one only needs this.
  const kafka = { consumer: () => ({}) } as unknown as Kafka;
  return new ConsumerRunner({
    kafka,
    groupId: 'spec',
    topics: ['spec.topic'],
    handleBatch,
    deadLetterProducer: { send: (records) => Promise.resolve(void deadLetters.push(...records)) },
    maxAttempts: 2,
    backoff: { initialMs: 1, maxMs: 1 },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

function message(): IncomingMessage {
  const { key, value, headers } = encodeEvent(sampleTransferRequested());
  return { topic: 'spec.topic', partition: 0, offset: '7', key, value: Buffer.from(value), headers };
}

const failing: BatchEventHandler = () => Promise.reject(new Error('something no one classified'));
const heartbeat = (): Promise<void> => Promise.resolve();

describe('ConsumerRunner dead letters', () => {
  it('dead-letters an event whose handler keeps failing while the consumer runs', async () => {
    const deadLetters: ProducerRecord[] = [];
    const results = await runnerWith(failing, deadLetters).processBatch([message()], heartbeat, () => true);
    expect(results).toEqual(['dead_lettered']);
    expect(deadLetters).toHaveLength(1);
  });

  it('hands the event back instead while the consumer stops, and dead-letters nothing', async () => {
    const deadLetters: ProducerRecord[] = [];
    await expect(
      runnerWith(failing, deadLetters).processBatch([message()], heartbeat, () => false),
    ).rejects.toThrow('something no one classified');
    expect(deadLetters).toEqual([]);
  });
});
