// Runs the plan once, in one mode, on the real broker and database: publishes every transfer request,
// runs the ledger and the notifier as processes that the fault schedule kills and this driver
// restarts, waits until both consumer groups have committed to the end of their topics, then reads back
// what the databases hold and tallies it. Everything it creates (a database, two topics, two consumer
// groups) is named after the run and the mode, and the database and topics are deleted at the end.
import { deadLetterTopicOf } from '@oncepay/contracts';
import { createKafkaClient, ensureTopics, type MessagingLogger } from '@oncepay/messaging';
import { createLabDatabase, dropLabDatabase, readObservations } from './lab-database';
import { publishRequests } from './publish-requests';
import { countDuplicatesOnTopic } from './read-back';
import { RebalanceFault } from './rebalance-fault';
import type { LabMode } from './modes';
import { transferIdOf, type LabPlan, type LabRole } from './plan';
import { tally, type Tally } from './tally';
import type { WorkerConfig } from './worker-config';
import { WorkerProcess } from './worker-process';

type Admin = ReturnType<ReturnType<typeof createKafkaClient>['admin']>;

export interface LabInfra {
  /** URL of a PostgreSQL maintenance database, for creating and dropping the lab's databases. */
  postgresAdminUrl: string;
  kafkaBrokers: string[];
}

export interface ModeRunOptions {
  mode: LabMode;
  plan: LabPlan;
  /** Unique per lab run: it names the mode's database, topics and consumer groups. */
  runId: string;
  infra: LabInfra;
  partitions: number;
  sessionTimeoutMs: number;
  /** The whole mode's bound; a run that has not settled by then fails, naming what it waited for. */
  timeoutMs: number;
  log: (line: string) => void;
}

export interface ModeResult {
  mode: LabMode;
  tally: Tally;
  /** The scheduled faults that killed a consumer; one waiting for a transfer that was lost never fires. */
  crashes: string[];
  /** The lost acknowledgements and the rebalance that happened. */
  otherFaults: string[];
  elapsedMs: number;
}

export function labNames(runId: string, mode: LabMode) {
  const prefix = `lab.${runId}.${mode}`;
  return {
    database: `oncepay_lab_${runId}_${mode.replace(/-/g, '_')}`,
    requestsTopic: `${prefix}.transfer-requests`,
    outcomesTopic: `${prefix}.transfer-outcomes`,
    groupOf: (role: LabRole) => `${prefix}.${role}`,
    readBackGroupOf: (topic: 'requests' | 'answers') => `${prefix}.read-back.${topic}`,
    driverClientId: `${prefix}.driver`,
  };
}

export async function runMode(options: ModeRunOptions): Promise<ModeResult> {
  const { mode, plan, infra, log } = options;
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutMs;
  const names = labNames(options.runId, mode);
  const topics = [names.requestsTopic, names.outcomesTopic];
  // ensureTopics, as every service creates its topics: it also waits out a fresh broker's metadata lag.
  // It creates each topic's dead-letter topic too; the lab's consumers never dead-letter (any failure
  // stops the run), so those stay empty, and go with the others at the end.
  const allTopics = topics.flatMap((topic) => [topic, deadLetterTopicOf(topic)]);
  const kafka = createKafkaClient({ clientId: names.driverClientId, brokers: infra.kafkaBrokers });
  const admin = kafka.admin();
  await admin.connect();
  const workers: WorkerProcess[] = [];
  try {
    const databaseUrl = await createLabDatabase(infra.postgresAdminUrl, names.database, plan);
    await ensureTopics(kafka, topics, { numPartitions: options.partitions }, topologyLog(log));
    const ackLosses = await publishRequests({
      mode,
      plan,
      brokers: infra.kafkaBrokers,
      clientId: `${names.driverClientId}.requests`,
      topic: names.requestsTopic,
      log,
    });
    log(`published ${plan.transfers.length} transfer requests; lost acknowledgements: ${ackLosses.length}`);

    const configOf = (role: LabRole, topic: string, outcomesTopic: string | null): WorkerConfig => ({
      role,
      mode,
      databaseUrl,
      brokers: infra.kafkaBrokers,
      groupId: names.groupOf(role),
      topic,
      outcomesTopic,
      sessionTimeoutMs: options.sessionTimeoutMs,
      faults: plan.faults
        .filter((fault) => fault.role === role)
        .map((fault) => ({ id: fault.id, transferId: transferIdOf(plan, fault), point: fault.point })),
      rebalanceAt: role === 'ledger' && plan.rebalance ? transferIdOf(plan, plan.rebalance) : null,
    });
    const started = (worker: WorkerProcess): WorkerProcess => {
      workers.push(worker);
      worker.start();
      return worker;
    };
    const rebalance = new RebalanceFault(plan.rebalance?.id ?? null, log);
    const ledgerConfig = configOf('ledger', names.requestsTopic, names.outcomesTopic);
    const ledger = started(
      new WorkerProcess(ledgerConfig, log, (report) => {
        if (report.type !== 'rebalance-point') return;
        // The second member: no crashes, no rebalance of its own; it leaves after one message.
        rebalance.begin(
          ledger,
          started(
            new WorkerProcess(
              { ...ledgerConfig, faults: [], rebalanceAt: null },
              log,
              (joinerReport) => rebalance.onJoinerReport(joinerReport),
              'second ledger',
            ),
          ),
        );
      }),
    );
    const notifier = started(new WorkerProcess(configOf('notifier', names.outcomesTopic, null), log));

    // The ledger first: once its group has committed every request, and it has stopped, no answer is
    // still on its way, so the end of the outcomes topic is final and the notifier can be waited for.
    await waitUntilCaughtUp(admin, names.groupOf('ledger'), names.requestsTopic, workers, deadline);
    await rebalance.end();
    await ledger.stop();
    await waitUntilCaughtUp(admin, names.groupOf('notifier'), names.outcomesTopic, workers, deadline);
    await notifier.stop();
    const topicDuplicates = {
      requests: await countDuplicatesOnTopic(
        kafka,
        admin,
        names.requestsTopic,
        names.readBackGroupOf('requests'),
        deadline,
      ),
      answers: await countDuplicatesOnTopic(
        kafka,
        admin,
        names.outcomesTopic,
        names.readBackGroupOf('answers'),
        deadline,
      ),
    };

    const elapsedMs = Date.now() - startedAt;
    log(`settled in ${(elapsedMs / 1000).toFixed(1)} s`);
    return {
      mode,
      tally: tally(plan, { ...(await readObservations(databaseUrl)), topicDuplicates }),
      crashes: workers.flatMap((worker) => worker.crashes),
      otherFaults: [...ackLosses, ...rebalance.happened],
      elapsedMs,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.kill()));
    await admin
      .deleteTopics({ topics: allTopics })
      .catch((error: unknown) =>
        log(`could not delete the topics ${allTopics.join(', ')}: ${String(error)}`),
      );
    await admin.disconnect();
    await dropLabDatabase(infra.postgresAdminUrl, names.database).catch((error: unknown) =>
      log(`could not drop the database ${names.database}: ${String(error)}`),
    );
  }
}

/**
 * Polls until `groupId` has committed, on every partition of `topic`, the offset past its last message.
 * A failed poll is only a poll: a broker that just started answers "coordinator loading" for a while,
 * so it is tried again until the deadline, and the last failure is reported if that passes.
 */
async function waitUntilCaughtUp(
  admin: Admin,
  groupId: string,
  topic: string,
  workers: WorkerProcess[],
  deadline: number,
): Promise<void> {
  let lastState = 'no answer from the broker yet';
  let lastError: unknown;
  for (;;) {
    for (const worker of workers) worker.throwIfFailed();
    try {
      const behind = await partitionsBehind(admin, groupId, topic);
      if (behind.length === 0) return;
      lastState = `partitions behind: ${behind.join(', ')}`;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${groupId} did not reach the end of ${topic} in time (${lastState}); the consumers' last lines:\n` +
          workers.map((worker) => worker.recentLines()).join('\n'),
        { cause: lastError },
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function partitionsBehind(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends
    .filter((end) => {
      const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      // '-1': nothing committed yet, which is caught up only on an empty partition.
      return BigInt(offset === '-1' ? '0' : offset) < BigInt(end.high);
    })
    .map((end) => end.partition);
}

/** ensureTopics' few lines (topics created, partitions raised) as lines of the lab's own log. */
function topologyLog(log: (line: string) => void): MessagingLogger {
  const line = (message: string, context?: Record<string, unknown>) =>
    log(context ? `${message} ${JSON.stringify(context)}` : message);
  return { info: line, warn: line, error: line };
}
