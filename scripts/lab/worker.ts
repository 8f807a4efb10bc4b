// One lab consumer as its own process: the ledger (posts each TransferRequested and answers with a
// TransferCompleted) or the notifier (writes one notification per TransferCompleted), consuming in
// the discipline of its mode. At a scheduled fault it kills itself with SIGKILL: no shutdown hook, no
// last commit, no flushed buffer, the way a process dies when the machine under it does.
//
// Why a kafkajs consumer here and not ConsumerRunner: the lab needs the offset commit in places
// ConsumerRunner will never put it (before the effect, for at-most-once), and those disciplines must
// not exist in the shared messaging package, where a service could switch them on. The consumer comes
// from the package's own client factory; only its offsets are driven by hand. It also uses Kafka's
// minimum session timeout instead of ConsumerRunner's 30 s, so a killed member leaves its group (and
// the restarted one takes over) in seconds.
import { decodeEvent, type OncePayEvent } from '@oncepay/contracts';
import { handleOnce } from '@oncepay/dedup';
import type { SqlExecutor } from '@oncepay/sql';
import { createKafkaClient, IdempotentProducer } from '@oncepay/messaging';
import { Client } from 'pg';
import { recordOf, transferCompletedOf } from './lab-events';
import { inTransaction, postTransfer, recordNotification } from './lab-database';
import { deduplicates, deliver, type CrashPoint } from './modes';
import { parseWorkerConfig, WORKER_CONFIG_ENV, type WorkerConfig, type WorkerReport } from './worker-config';

/** The dedup records' consumer names, as OncePay's services name theirs. */
const DEDUP_CONSUMER = {
  ledger: 'lab.ledger.transfer-requested',
  notifier: 'lab.notifier.transfer-completed',
};

async function main(): Promise<void> {
  const config = parseWorkerConfig(process.env[WORKER_CONFIG_ENV]);
  const kafka = createKafkaClient({ clientId: `${config.groupId}.${process.pid}`, brokers: config.brokers });
  const db = new Client({ connectionString: config.databaseUrl });
  await db.connect();
  const producer = config.role === 'ledger' ? new IdempotentProducer(kafka) : null;
  await producer?.connect();
  if (producer && !config.outcomesTopic) throw new Error('the ledger needs an outcomes topic');
  const consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    rebalanceTimeout: config.sessionTimeoutMs * 2,
    heartbeatInterval: Math.floor(config.sessionTimeoutMs / 6),
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  const faults = new Map(config.faults.map((fault) => [fault.transferId, fault]));

  const effectOf = (event: OncePayEvent) => async (): Promise<void> => {
    if (config.role === 'ledger') {
      if (event.type !== 'TransferRequested') throw new Error(`the ledger got a ${event.type}`);
      await commitEffect(config, db, event.id, (tx) => postTransfer(tx, event.payload));
      // Published on every delivery, even one the dedup skipped: the earlier delivery may have died
      // between its commit and this send. The answer's id is fixed (transferCompletedOf), so a second
      // publish is the same message, and the notifier's dedup drops it.
      if (producer && config.outcomesTopic)
        await producer.send([recordOf(transferCompletedOf(event, new Date()), config.outcomesTopic)]);
    } else {
      if (event.type !== 'TransferCompleted') throw new Error(`the notifier got a ${event.type}`);
      await commitEffect(config, db, event.id, (tx) => recordNotification(tx, event.aggregateId, event.id));
    }
  };

  consumer.on(consumer.events.GROUP_JOIN, () => void report({ type: 'ready' }).catch(() => undefined));
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topic], fromBeginning: true });
  await consumer.run({
    // Offsets move only where `deliver` says, never behind its back.
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const decoded = decodeEvent(message.value);
      // The lab publishes every message itself through the contracts: one that does not decode is a bug.
      if (!decoded.ok) fail(new Error(`undecodable lab message at ${topic}/${partition}@${message.offset}`));
      const event = decoded.event;
      const fault = faults.get(event.aggregateId);
      // Any failure but a scheduled crash ends the process with an error (no retry, no dead letter):
      // the lab's numbers must come from the fault schedule alone, so the driver stops the run.
      await deliver(config.mode, {
        commitOffset: () =>
          consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]),
        applyEffect: effectOf(event),
        crashPoint: async (point: CrashPoint) => {
          if (fault?.point !== point) return;
          await report({ type: 'crashing', faultId: fault.id });
          process.kill(process.pid, 'SIGKILL');
          // SIGKILL lands before this promise could settle: nothing after the crash point runs.
          await new Promise<never>(() => undefined);
        },
      }).catch(fail);
    },
  });

  // A graceful stop (the driver's, once the run is over): finish the message in hand, then leave.
  process.once('SIGTERM', () => {
    void (async () => {
      await consumer.disconnect();
      await producer?.disconnect();
      await db.end();
      process.exit(0);
    })();
  });
}

/** The effect in one transaction; in effectively-once mode, with the dedup record in that transaction. */
async function commitEffect(
  config: WorkerConfig,
  db: Client,
  messageId: string,
  effect: (tx: SqlExecutor) => Promise<void>,
): Promise<void> {
  if (!deduplicates(config.mode)) {
    await inTransaction(db, effect);
    return;
  }
  await handleOnce({
    consumer: DEDUP_CONSUMER[config.role],
    messageId,
    transaction: (fn) => inTransaction(db, fn),
    effect,
  });
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
