// Proves when the consumer runner dead-letters an event that its handler cannot handle: after the
// bounded attempts while it runs, and never while it stops (a restart, a rebalance), when what fails is
// most likely the closing pool or client: then the event is left uncommitted for its next owner. And
// that the settleBeforeDeadLetter hook runs first, once, takes the dead letter into its own transaction
// (the runner then sends nothing), and decides what happens when it fails itself. When a running
// consumer is stalled (no sign of life; a batch with no progress, whatever the other brokers' fetch
// loops do), and that stop() does not wait on a commit the broker never answers.
import { encodeEvent } from '@oncepay/contracts';
import { sampleTransferRequested } from '@oncepay/test-support';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { ConsumerRunner, type BatchEventHandler, type ConsumerRunnerOptions } from './consumer-runner';
import type { DeadLetter } from './dead-letter';
import type { IncomingMessage } from './incoming-message';
import type { ProducerRecord } from './producer';

function runnerWith(
  handleBatch: BatchEventHandler,
  deadLetters: ProducerRecord[],
  extra: Partial<ConsumerRunnerOptions> = {},
): ConsumerRunner {
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
    ...extra,
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

describe('ConsumerRunner settleBeforeDeadLetter', () => {
  it('settles the event once and leaves its dead letter to the settling transaction', async () => {
    const deadLetters: ProducerRecord[] = [];
    const settled: { eventId: string; deadLetter: DeadLetter }[] = [];
    const runner = runnerWith(failing, deadLetters, {
      settleBeforeDeadLetter: ({ event }, deadLetter) => {
        settled.push({ eventId: event.id, deadLetter });
        return Promise.resolve('settled_with_dead_letter');
      },
    });
    const incoming = message();
    expect(await runner.processBatch([incoming], heartbeat, () => true)).toEqual(['dead_lettered']);
    expect(settled).toHaveLength(1);
    expect(settled[0]?.eventId).toBe(JSON.parse(incoming.value?.toString() ?? '{}').id);
    expect(settled[0]?.deadLetter).toMatchObject({
      topic: 'spec.topic.dlt',
      key: incoming.key,
      value: incoming.value,
      headers: {
        'x-dlt-reason': 'handler failed: Error: something no one classified',
        'x-dlt-attempts': '2',
      },
    });
    // Written with the settlement (into the outbox), so the runner sends no copy of its own.
    expect(deadLetters).toEqual([]);
  });

  it('sends the dead letter itself for an event the hook has nothing to settle for', async () => {
    const deadLetters: ProducerRecord[] = [];
    const runner = runnerWith(failing, deadLetters, {
      settleBeforeDeadLetter: () => Promise.resolve('nothing_to_settle'),
    });
    expect(await runner.processBatch([message()], heartbeat, () => true)).toEqual(['dead_lettered']);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.headers['x-dlt-reason']).toBe(
      'handler failed: Error: something no one classified',
    );
  });

  it('is not asked about an undecodable message, which cannot be trusted to name anything', async () => {
    const deadLetters: ProducerRecord[] = [];
    const settle = jest.fn(() => Promise.resolve('settled_with_dead_letter' as const));
    const runner = runnerWith(failing, deadLetters, { settleBeforeDeadLetter: settle });
    const junk = { ...message(), value: Buffer.from('not an event') };
    expect(await runner.processBatch([junk], heartbeat, () => true)).toEqual(['dead_lettered']);
    expect(settle).not.toHaveBeenCalled();
  });

  it('hands the event back when settling fails on infrastructure, and dead-letters nothing', async () => {
    const deadLetters: ProducerRecord[] = [];
    const away = Object.assign(new Error('database away'), { retriable: true });
    const runner = runnerWith(failing, deadLetters, {
      settleBeforeDeadLetter: () => Promise.reject(away),
      isRetriable: (error) => error === away,
    });
    await expect(runner.processBatch([message()], heartbeat, () => true)).rejects.toBe(away);
    expect(deadLetters).toEqual([]);
  });

  it('does not settle when the database refused the service itself (a missing grant): a replay will do', async () => {
    const deadLetters: ProducerRecord[] = [];
    const settle = jest.fn(() => Promise.resolve('settled_with_dead_letter' as const));
    const noGrant = Object.assign(new Error('permission denied for table journal_entries'), {
      code: '42501',
    });
    const runner = runnerWith(() => Promise.reject(noGrant), deadLetters, { settleBeforeDeadLetter: settle });
    expect(await runner.processBatch([message()], heartbeat, () => true)).toEqual(['dead_lettered']);
    expect(settle).not.toHaveBeenCalled();
    expect(deadLetters[0]?.headers['x-dlt-reason']).toMatch(
      /; not settled: the database refused the service itself/,
    );
  });

  it('dead-letters the event unsettled, saying so, when settling fails for good', async () => {
    const deadLetters: ProducerRecord[] = [];
    const runner = runnerWith(failing, deadLetters, {
      settleBeforeDeadLetter: () => Promise.reject(new Error('no such table')),
    });
    expect(await runner.processBatch([message()], heartbeat, () => true)).toEqual(['dead_lettered']);
    expect(deadLetters[0]?.headers['x-dlt-reason']).toBe(
      'handler failed: Error: something no one classified; not settled: Error: no such table',
    );
  });
});

/**
 * A kafkajs consumer that joins and runs at once, lets the test emit its instrumentation events (a
 * fetch's with the broker's node id) and hands it the runner's eachBatch, to call with a batch.
 */
function instrumentedConsumer() {
  const events = {
    GROUP_JOIN: 'group_join',
    CRASH: 'crash',
    REBALANCING: 'rebalancing',
    FETCH_START: 'fetch_start',
    FETCH: 'fetch',
    START_BATCH_PROCESS: 'start_batch_process',
    END_BATCH_PROCESS: 'end_batch_process',
  };
  const listeners = new Map<string, (event: { payload: unknown }) => void>();
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | null = null;
  const consumer = {
    events,
    on: (event: string, listener: (event: { payload: unknown }) => void) =>
      void listeners.set(event, listener),
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    run: (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      return Promise.resolve();
    },
    disconnect: () => Promise.resolve(),
    // The broker is away: a commit kafkajs retries for minutes.
    commitOffsets: () => new Promise<void>(() => undefined),
  };
  // An event the runner does not listen to goes nowhere, as with kafkajs.
  const emit = (event: keyof typeof events, nodeId = 1) =>
    listeners.get(events[event])?.({ payload: { nodeId } });
  /** One batch of one message through the runner's eachBatch; `heartbeat` is the batch's own. */
  const batch = (heartbeat: () => Promise<void>) =>
    eachBatch!({
      batch: {
        topic: 'spec.topic',
        partition: 0,
        highWatermark: '8',
        messages: [{ ...message(), offset: '7' }],
      },
      resolveOffset: () => undefined,
      commitOffsetsIfNecessary: () => Promise.resolve(),
      uncommittedOffsets: () => ({
        topics: [{ topic: 'spec.topic', partitions: [{ partition: 0, offset: '8' }] }],
      }),
      heartbeat,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  return { kafka: { consumer: () => consumer } as unknown as Kafka, emit, batch };
}

describe('ConsumerRunner stall', () => {
  it('is stalled once running without a fetch or a batch for stallAfterMs, and running at the next one', async () => {
    const { kafka, emit } = instrumentedConsumer();
    let nowMs = 0;
    const runner = runnerWith(failing, [], { kafka, stallAfterMs: 60_000, now: () => new Date(nowMs) });
    await runner.start();
    nowMs = 120_000;
    // Joining takes as long as it takes: a session timeout, a broker coming back. Not a stall.
    expect(runner.status).toEqual({ state: 'joining' });
    emit('GROUP_JOIN');
    nowMs += 60_000;
    expect(runner.status).toEqual({ state: 'running' });
    nowMs += 1;
    expect(runner.status).toEqual({
      state: 'stalled',
      failure: 'no fetch made and no batch progress for 60 s',
    });
    for (const sign of ['FETCH', 'START_BATCH_PROCESS', 'END_BATCH_PROCESS', 'REBALANCING'] as const) {
      emit(sign);
      expect(runner.status).toEqual({ state: 'running' });
      nowMs += 90_000;
      expect(runner.status.state).toBe('stalled');
    }
    emit('GROUP_JOIN');
    expect(runner.status).toEqual({ state: 'running' });
  });

  it('takes a handler call and the batch heartbeat it wraps as signs of life', async () => {
    const { kafka, emit, batch } = instrumentedConsumer();
    let nowMs = 0;
    const seen: string[] = [];
    let runner: ConsumerRunner | null = null;
    const slow: BatchEventHandler = (events) => {
      seen.push(runner!.status.state);
      nowMs += 50_000;
      return Promise.resolve(events.map(() => 'processed' as const));
    };
    runner = runnerWith(slow, [], { kafka, stallAfterMs: 60_000, now: () => new Date(nowMs) });
    await runner.start();
    emit('GROUP_JOIN');
    nowMs += 59_000;
    // Each call 50 s long, 59 s after the join: the call itself is the sign of life that keeps it running.
    await runner.processBatch([message()], heartbeat, () => true);
    await runner.processBatch([message()], heartbeat, () => true);
    expect(seen).toEqual(['running', 'running']);
    nowMs += 11_000;
    expect(runner.status.state).toBe('stalled');

    // Through kafkajs' eachBatch: its heartbeat, called after the chunk, counts (and is kafkajs' own).
    emit('GROUP_JOIN');
    let heartbeats = 0;
    const seenAtHeartbeat: string[] = [];
    await batch(() => {
      heartbeats += 1;
      nowMs += 59_000;
      seenAtHeartbeat.push(runner!.status.state);
      return Promise.resolve();
    });
    // The handler call began the batch's 50 s; kafkajs' heartbeat 59 s later still finds it running
    // only because the runner's wrapper marked the heartbeat's call (109 s after the handler's).
    expect({ heartbeats, seen: seen.slice(2), seenAtHeartbeat }).toEqual({
      heartbeats: 1,
      seen: ['running'],
      seenAtHeartbeat: ['running'],
    });
    expect(runner.status).toEqual({ state: 'running' });
  });

  it('is stalled by a batch with no progress, however lively the fetch loops of other brokers', async () => {
    const { kafka, emit, batch } = instrumentedConsumer();
    let nowMs = 0;
    let runner: ConsumerRunner | null = null;
    const seen: unknown[] = [];
    // The handler call hangs 90 s, while broker 2 (no partition of this consumer) answers empty fetches.
    const hanging: BatchEventHandler = (events) => {
      for (let i = 0; i < 9; i++) {
        nowMs += 10_000;
        emit('FETCH_START', 2);
        emit('FETCH', 2);
      }
      seen.push(runner!.status);
      return Promise.resolve(events.map(() => 'processed' as const));
    };
    runner = runnerWith(hanging, [], { kafka, stallAfterMs: 60_000, now: () => new Date(nowMs) });
    await runner.start();
    emit('GROUP_JOIN');
    await batch(heartbeat);
    expect(seen).toEqual([
      { state: 'stalled', failure: 'a batch has made no progress (no handler call, no heartbeat) for 90 s' },
    ]);
    expect(runner.status).toEqual({ state: 'running' });
  });

  it("is not stalled by one broker's fetch that never came back while the others answer", async () => {
    // A fetch that threw looks the same: kafkajs starts its fetch loops again without that broker once
    // its partitions moved (a failover), and emits nothing to say so. Not a stall.
    const { kafka, emit } = instrumentedConsumer();
    let nowMs = 0;
    const runner = runnerWith(failing, [], { kafka, stallAfterMs: 60_000, now: () => new Date(nowMs) });
    await runner.start();
    emit('GROUP_JOIN');
    emit('FETCH_START', 2);
    for (let i = 0; i < 30; i++) {
      nowMs += 10_000;
      emit('FETCH_START', 1);
      emit('FETCH', 1);
    }
    expect(runner.status).toEqual({ state: 'running' });
  });
});

describe('ConsumerRunner stop', () => {
  afterEach(() => jest.useRealTimers());

  it('gives up the commit of what was handled after a bound, and disconnects', async () => {
    const { kafka, emit, batch } = instrumentedConsumer();
    const processed: BatchEventHandler = (events) => Promise.resolve(events.map(() => 'processed' as const));
    const warned: string[] = [];
    // From the start: the batch arms a commit timer that stop() must cancel, fake like the bound's.
    jest.useFakeTimers();
    const runner = runnerWith(processed, [], {
      kafka,
      logger: { info: () => undefined, warn: (message) => void warned.push(message), error: () => undefined },
    });
    await runner.start();
    emit('GROUP_JOIN');
    await batch(heartbeat);
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(4_999);
    expect(stopped).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await stopping;
    expect(warned).toEqual(['offsets not committed at stop; the next owner gets those batches again']);
  });
});
