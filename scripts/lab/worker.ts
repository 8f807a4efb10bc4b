// One lab consumer as its own process: the ledger (posts each TransferRequested and answers with a
// TransferCompleted) or the notifier (writes one notification per TransferCompleted), consuming in
// the discipline of its mode (modes.ts). At a scheduled fault it kills itself with SIGKILL: no
// shutdown hook, no last commit, no flushed buffer, the way a process dies when the machine under it
// does.
//
// Why a kafkajs consumer here and not ConsumerRunner: the lab needs the offset commit in places
// ConsumerRunner will never put it (before the effect, for at-most-once), and those disciplines must
// not exist in the shared messaging package, where a service could switch them on. The consumer comes
// from the package's own client factory; only its offsets are driven by hand. It also uses Kafka's
// minimum session timeout instead of ConsumerRunner's 30 s, so a killed member leaves its group (and
// the restarted one takes over) in seconds.
import { decodeEvent, type OncePayEvent, type TransferRequested } from '@oncepay/contracts';
import { handleOnce } from '@oncepay/dedup';
import type { SqlExecutor } from '@oncepay/sql';
import { createKafkaClient, IdempotentProducer } from '@oncepay/messaging';
import { Client } from 'pg';
import { recordOf, transferCompletedOf } from './lab-events';
import { enqueueAnswer, inTransaction, postTransfer, recordNotification, relayOutbox } from './lab-database';
import { deliver, MODE_DESIGNS, type CrashPoint, type DeliverySteps } from './modes';
import {
  parseWorkerConfig,
  WORKER_CONFIG_ENV,
  type DriverMessage,
  type WorkerConfig,
  type WorkerReport,
} from './worker-config';

type Kafka = ReturnType<typeof createKafkaClient>;
type Consumer = ReturnType<Kafka['consumer']>;
type TransactionalProducer = ReturnType<Kafka['producer']>;

/** The dedup records' consumer names, as OncePay's services name theirs. */
const DEDUP_CONSUMER = {
  ledger: 'lab.ledger.transfer-requested',
  notifier: 'lab.notifier.transfer-completed',
};

/**
 * kafkajs error types that mean "this member no longer owns what it was working on": the group moved
 * on without it (a rebalance), or another process took over its transactional id. The message in hand
 * is then someone else's to process again, which is what the lab's rebalance fault is about.
 */
const LOST_OWNERSHIP = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'INVALID_PRODUCER_EPOCH',
]);

/**
 * Makes kafkajs' consumer rejoin its group: its runner rejoins on an error of this type thrown from
 * eachMessage (runner.js, isRebalancing), and the new generation starts from the committed offsets.
 * kafkajs has no public call for it; a fenced transactional producer is the lab's reason.
 */
class RejoinGroup extends Error {
  readonly type = 'REBALANCE_IN_PROGRESS';
}

/** The kafkajs protocol error saying so, found along the `cause` chain (kafkajs' retrier wraps it), or null. */
function lostOwnership(error: unknown): Error | null {
  for (let current = error, depth = 0; depth < 5; depth++) {
    if (!(current instanceof Error)) return null;
    if (LOST_OWNERSHIP.has(String((current as { type?: unknown }).type))) return current;
    current = current.cause;
  }
  return null;
}

async function main(): Promise<void> {
  const config = parseWorkerConfig(process.env[WORKER_CONFIG_ENV]);
  const design = MODE_DESIGNS[config.mode];
  const kafka = createKafkaClient({ clientId: `${config.groupId}.${process.pid}`, brokers: config.brokers });
  const db = new Client({ connectionString: config.databaseUrl });
  await db.connect();
  const consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    rebalanceTimeout: config.sessionTimeoutMs * 2,
    heartbeatInterval: Math.floor(config.sessionTimeoutMs / 6),
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    // read_committed: an aborted transaction's answers are never delivered (kafka-transactions mode).
    readUncommitted: false,
  });
  const faults = new Map(config.faults.map((fault) => [fault.transferId, fault]));
  const crashPoint = async (transferId: string, point: CrashPoint): Promise<void> => {
    const fault = faults.get(transferId);
    if (fault?.point !== point) return;
    await report({ type: 'crashing', faultId: fault.id });
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL lands before this promise could settle: nothing after the crash point runs.
    await new Promise<never>(() => undefined);
  };
  // The rebalance fault: at its transfer, once the effect is applied and before the offset moves, the
  // ledger stops (no heartbeat, no commit) until the driver says a second member has taken its place.
  const rebalancePoint = async (transferId: string): Promise<void> => {
    if (config.rebalanceAt !== transferId) return;
    config.rebalanceAt = null;
    const resumed = new Promise<void>((resolve) =>
      process.on('message', (message: DriverMessage) => message.type === 'resume' && resolve()),
    );
    await report({ type: 'rebalance-point' });
    await resumed;
    console.error(`[lab worker] resumed after the rebalance at ${transferId}`);
  };

  const ledger = config.role === 'ledger' ? await ledgerOf(config, kafka, db, consumer) : null;
  const notify = (event: OncePayEvent) => async (): Promise<void> => {
    if (event.type !== 'TransferCompleted') throw new Error(`the notifier got a ${event.type}`);
    await commitEffect(design.notifier.dedup, 'notifier', db, event.id, (tx) =>
      recordNotification(tx, event.aggregateId, event.id),
    );
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    void (async () => {
      await ledger?.onAssignment(payload.memberAssignment[config.topic] ?? []);
      await report({ type: 'ready' });
    })().catch(fail);
  });
  // A batch of nothing but transaction markers or aborted answers (kafka-transactions mode) reaches no
  // handler: its offsets are committed here, or the group would never reach the end of the topic.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize > 0) return;
    const offset = (BigInt(payload.lastOffset) + 1n).toString();
    void consumer
      .commitOffsets([{ topic: payload.topic, partition: payload.partition, offset }])
      .catch((error: unknown) => (lostOwnership(error) ? undefined : fail(error)));
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });
  await ledger?.start();
  let handledOne = false;
  await consumer.run({
    // Offsets move only where the mode says, never behind its back.
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const decoded = decodeEvent(message.value);
      // The lab publishes every message itself through the contracts: one that does not decode is a bug.
      if (!decoded.ok) fail(new Error(`undecodable lab message at ${topic}/${partition}@${message.offset}`));
      const event = decoded.event;
      const next = (BigInt(message.offset) + 1n).toString();
      const commitOffset = () => consumer.commitOffsets([{ topic, partition, offset: next }]);
      const crash = (point: CrashPoint) => crashPoint(event.aggregateId, point);
      try {
        if (ledger) {
          if (event.type !== 'TransferRequested') throw new Error(`the ledger got a ${event.type}`);
          await ledger.handle(event, { topic, partition, next }, crash, () =>
            rebalancePoint(event.aggregateId),
          );
        } else {
          await deliver(design.notifier.offsets, {
            commitOffset,
            applyEffect: notify(event),
            crashPoint: crash,
          });
        }
        if (!handledOne) {
          handledOne = true;
          void report({ type: 'handled-one' }).catch(() => undefined);
        }
      } catch (error) {
        // A member that lost its partitions mid-message hands the error to kafkajs (unwrapped, so its
        // runner sees the type), which rejoins the group; the message is redelivered to whoever owns
        // its partition now.
        const lost = lostOwnership(error);
        if (lost) throw lost;
        // Any other failure ends the process with an error (no retry, no dead letter): the lab's
        // numbers must come from the fault schedule alone, so the driver stops the run.
        fail(error);
      }
    },
  });

  // A graceful stop (the driver's, once the run is over or a joiner leaves): finish the message in
  // hand, then leave the group.
  process.once('SIGTERM', () => {
    void (async () => {
      await consumer.disconnect();
      await ledger?.stop();
      await db.end();
      process.exit(0);
    })();
  });
}

interface Position {
  topic: string;
  partition: number;
  /** The offset to commit once this message is done. */
  next: string;
}

interface Ledger {
  start(): Promise<void>;
  /** The group gave this process these partitions of the requests topic (before it fetches any). */
  onAssignment(partitions: number[]): Promise<void>;
  handle(
    request: TransferRequested,
    position: Position,
    crashPoint: (point: CrashPoint) => Promise<void>,
    rebalancePoint: () => Promise<void>,
  ): Promise<void>;
  stop(): Promise<void>;
}

/** The lab ledger of the worker's mode: its effect, and its answer on the mode's path. */
async function ledgerOf(config: WorkerConfig, kafka: Kafka, db: Client, consumer: Consumer): Promise<Ledger> {
  const design = MODE_DESIGNS[config.mode].ledger;
  const outcomesTopic = config.outcomesTopic;
  if (!outcomesTopic) throw new Error('the ledger needs an outcomes topic');
  const answerOf = (request: TransferRequested) =>
    recordOf(transferCompletedOf(request, new Date()), outcomesTopic);
  if (design.answer === 'kafka-transaction')
    return transactionalLedger(config, kafka, db, consumer, answerOf);

  const producer = new IdempotentProducer(kafka);
  const commitOffset = (position: Position) => () =>
    consumer.commitOffsets([{ topic: position.topic, partition: position.partition, offset: position.next }]);
  const stepsOf = (request: TransferRequested): Pick<DeliverySteps, 'applyEffect' | 'afterEffect'> => {
    const post = (tx: SqlExecutor) => postTransfer(tx, request.payload);
    switch (design.answer) {
      case 'every-delivery':
        return {
          applyEffect: async () => {
            await commitEffect(design.dedup, 'ledger', db, request.id, post);
            // Published on every delivery: the answer's id is fixed (transferCompletedOf), so a second
            // publish is the same message, which only a deduplicating notifier recognises.
            await producer.send([answerOf(request)]);
          },
        };
      case 'outbox':
        // The answer commits with the posting and the dedup record, or not at all; the relay sends
        // whatever is committed and unsent, including what a crashed predecessor left.
        return {
          applyEffect: async () => {
            await commitEffect(design.dedup, 'ledger', db, request.id, async (tx) => {
              await post(tx);
              const answer = answerOf(request);
              await enqueueAnswer(tx, request.id, answer);
            });
          },
          afterEffect: async () => void (await relayOutbox(db, (records) => producer.send(records))),
        };
      case 'fresh-only': {
        // A naive dual write: commit, then send, and only for a request the dedup found new. A crash
        // between the two (the after-effect crash point) loses the answer: the redelivery is a
        // duplicate, so nothing sends it again.
        let fresh = false;
        return {
          applyEffect: async () => {
            fresh = (await commitEffect(design.dedup, 'ledger', db, request.id, post)) === 'processed';
          },
          afterEffect: async () => {
            if (fresh) await producer.send([answerOf(request)]);
          },
        };
      }
      case 'kafka-transaction':
        throw new Error('the Kafka-transactions ledger is transactionalLedger');
    }
  };
  return {
    async start() {
      await producer.connect();
      if (design.answer === 'outbox') await relayOutbox(db, (records) => producer.send(records));
    },
    async handle(request, position, crashPoint, rebalancePoint) {
      await deliver(design.offsets === 'before-effect' ? 'before-effect' : 'after-effect', {
        ...stepsOf(request),
        commitOffset: commitOffset(position),
        crashPoint: async (point) => {
          await crashPoint(point);
          if (point === 'after-effect') await rebalancePoint();
        },
      });
    },
    onAssignment: async () => undefined,
    stop: () => producer.disconnect(),
  };
}

/**
 * The Kafka-transactions ledger: per request, one Kafka transaction holds the answer and the request's
 * offset (sendOffsets), so the two commit together or not at all, and the notifier (read_committed)
 * never sees an aborted answer. The posting is a database write: it commits on its own, before the
 * Kafka transaction, with no dedup, and that is the gap the mode shows.
 *
 * One transactional producer per input partition, with a transactional id named after it, started
 * as soon as the group assigns the partition: kafkajs sends no group generation with sendOffsets (it
 * predates KIP-447), so the broker would accept the commit of a member that lost the partition in a
 * rebalance, and the request would be answered twice. Whoever takes a partition over (a restarted
 * process, a second member) starts the same transactional id before it fetches, which aborts the old
 * owner's open transaction and refuses its commit (the fencing of Kafka's original EOS design).
 */
function transactionalLedger(
  config: WorkerConfig,
  kafka: Kafka,
  db: Client,
  consumer: Consumer,
  answerOf: (request: TransferRequested) => ReturnType<typeof recordOf>,
): Ledger {
  const producers = new Map<number, Promise<TransactionalProducer>>();
  const admin = kafka.admin();
  /**
   * Per partition, the offset the group had committed once this process fenced the previous owner:
   * kafkajs reads the committed offsets when it joins, without KIP-447's require_stable, so a
   * transaction the previous owner was committing at that moment is not in them yet, and the
   * messages it answered would be answered again. Read again after the fencing, they are.
   */
  const committedAtTakeover = new Map<number, bigint>();
  let takeover: Promise<void> = Promise.resolve();
  const producerFor = (partition: number): Promise<TransactionalProducer> => {
    let producer = producers.get(partition);
    if (!producer) {
      const created = kafka.producer({
        transactionalId: `${config.groupId}.p${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: 60_000,
        allowAutoTopicCreation: false,
        // A fresh broker creates its transaction log (__transaction_state, 50 partitions) on the first
        // transactional id it sees, and answers NOT_COORDINATOR until then: seconds on a loaded
        // machine, more than kafkajs' default five retries wait. Bounded still: about half a minute.
        retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 5_000 },
      });
      // The first transaction is what registers the transactional id with the coordinator (kafkajs'
      // connect does not), so an empty one is begun and aborted at once: that is the fencing step.
      producer = (async () => {
        await created.connect();
        await (await created.transaction()).abort();
        return created;
      })();
      producers.set(partition, producer);
    }
    return producer;
  };
  return {
    start: () => admin.connect(),
    onAssignment(partitions) {
      takeover = (async () => {
        committedAtTakeover.clear();
        await Promise.all(partitions.map(producerFor));
        const [committed] = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] });
        for (const { partition, offset } of committed?.partitions ?? [])
          if (partitions.includes(partition))
            committedAtTakeover.set(partition, BigInt(offset === '-1' ? '0' : offset));
      })();
      return takeover;
    },
    async handle(request, position, crashPoint, rebalancePoint) {
      await takeover;
      const committed = committedAtTakeover.get(position.partition);
      // Answered and committed by the previous owner, in a transaction that ended after this process
      // joined: already done.
      if (committed !== undefined && BigInt(position.next) <= committed) return;
      await crashPoint('before-effect');
      const producer = await producerFor(position.partition);
      try {
        const transaction = await producer.transaction();
        const answer = answerOf(request);
        await transaction.send({
          topic: answer.topic,
          messages: [{ key: answer.key, value: answer.value, headers: answer.headers }],
          acks: -1,
        });
        await inTransaction(db, (tx) => postTransfer(tx, request.payload));
        await crashPoint('after-effect');
        await rebalancePoint();
        await transaction.sendOffsets({
          consumerGroupId: config.groupId,
          topics: [
            { topic: position.topic, partitions: [{ partition: position.partition, offset: position.next }] },
          ],
        });
        await transaction.commit();
      } catch (error) {
        if (!lostOwnership(error)) throw error;
        // Fenced: another process took the partition's transactional id (the group gave it the
        // partition), and this transaction is aborted. This process must not touch the partition
        // again before the group tells it what it owns, so it rejoins; kafkajs then fetches from the
        // committed offsets, and the request is processed by whoever owns its partition.
        console.error(`[lab worker] fenced on partition ${position.partition}: ${String(error)}`);
        producers.delete(position.partition);
        void producer.disconnect().catch(() => undefined);
        throw new RejoinGroup(`fenced on ${position.topic}/${position.partition}`);
      }
    },
    async stop() {
      await Promise.all([...producers.values()].map(async (producer) => (await producer).disconnect()));
      await admin.disconnect();
    },
  };
}

/** The effect in one transaction; with dedup, the message id is recorded in that transaction too. */
async function commitEffect(
  dedup: boolean,
  role: 'ledger' | 'notifier',
  db: Client,
  messageId: string,
  effect: (tx: SqlExecutor) => Promise<void>,
): Promise<'processed' | 'duplicate'> {
  if (!dedup) {
    await inTransaction(db, effect);
    return 'processed';
  }
  const result = await handleOnce({
    consumer: DEDUP_CONSUMER[role],
    messageId,
    transaction: (fn) => inTransaction(db, fn),
    effect,
  });
  return result.outcome;
}

/** Sends a report to the driver and resolves once it left this process (it must, before a SIGKILL). */
function report(message: WorkerReport): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('no IPC channel: the lab driver starts this process'));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

function fail(error: unknown): never {
  console.error('[lab worker]', error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}

main().catch(fail);
