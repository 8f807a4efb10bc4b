// Fault injection on a replicated cluster: a three-node KRaft cluster of the scenario's own (each node
// broker and controller in one JVM), the services configured with KAFKA_REPLICATION_FACTOR=3 and
// KAFKA_MIN_INSYNC_REPLICAS=2, producing with acks from all in-sync replicas. Three scenarios share the
// cluster and the stack, one after the other, each with its own accounts and load:
//  a) one broker that is not the active controller is killed with kill -9 while transfers flow, kept
//     down until transfers move again without it (its partitions' leaders moved to the two others,
//     which still make min.insync.replicas), then restarted: nothing lost;
//  b) the active KRaft controller is killed with kill -9: the two other voters elect a new one, the
//     cluster goes on, the old one comes back as a follower;
//  c) two instances of every service, then, service by service under load, the older instance is
//     stopped (SIGTERM) and a new one started with KAFKA_PARTITIONS raised from 3 to 6, as a rolling
//     deploy that scales out would: the first new instance raises the partitions of the running topics,
//     the consumer groups rebalance (on each move, and when they see the new partitions), the outbox
//     relay's advisory lock passes to another instance, and what lands on the new partitions is consumed.
// Each ends with every transfer terminal, exact balances and the auditor clean, and prints what it
// measured; the cluster's memory and CPU use is printed at the end (docs/performance.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { TOPICS } from '@oncepay/contracts';
import { createKafkaClient, METADATA_MAX_AGE_MS } from '@oncepay/messaging';
import { TEST_KAFKA_NAMESPACE, waitFor } from '@oncepay/test-support';
import { ConfigResourceTypes } from 'kafkajs';
import { CHAOS, ChaosStack, tally, type PostedTransfer, type ServiceName } from './chaos-harness';
import { RestartableKafkaCluster, type NodeUsage } from './dedicated-infra';

const AMOUNT = 100n;
/** Enough for 40 transfers per unit of scale; more than that are posted, so some must fail. */
const FUNDED = 4_000n * BigInt(CHAOS.scale);
/** At least this many transfers per scenario; more while its faults are still being injected. */
const MIN_REQUESTS = 50 * CHAOS.scale;
const PACE_MS = Math.max(25, Math.round(300 / CHAOS.scale));
/** How long transfers may stay still (a broker fenced, leaders moving) before a scenario gives up. */
const PROGRESS_TIMEOUT_MS = 90_000;
const SERVICES: ServiceName[] = ['transfer', 'ledger', 'notification'];
/** The partitions the stack starts with (the default) and those the replacing instances of c) configure. */
const PARTITIONS = { before: 3, after: 6 };
/** Each topic, the consumer group that reads it. */
const READERS = [
  { topic: TOPICS.transferRequests, group: 'ledger-service' },
  { topic: TOPICS.ledgerResults, group: 'transfer-service' },
  { topic: TOPICS.transferOutcomes, group: 'notification-service' },
];

describe('chaos: a three-broker KRaft cluster (RF 3, min ISR 2) under faults and scale-out', () => {
  let cluster: RestartableKafkaCluster;
  let stack: ChaosStack;
  const usage: { moment: string; nodes: NodeUsage[] }[] = [];
  let startedAt = 0;

  beforeAll(async () => {
    startedAt = Date.now();
    cluster = await RestartableKafkaCluster.start(3);
    usage.push({ moment: 'booted', nodes: await cluster.usage() });
    stack = new ChaosStack({
      kafkaBrokers: cluster.brokers,
      serviceEnv: { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' },
    });
    stack.injected.push(`own 3-node cluster ${cluster.brokers.join(',')} (logs in ${cluster.folder})`);
    await stack.boot();
  }, 300_000);
  afterAll(async () => {
    if (cluster) {
      usage.push({ moment: 'end', nodes: await cluster.usage().catch(() => []) });
      const seconds = (Date.now() - startedAt) / 1000;
      console.log(
        `[chaos] 3-node cluster resource use over ${Math.round(seconds)} s (RSS MiB, CPU s since each JVM started):\n` +
          usage.map(({ moment, nodes }) => `  ${moment}: ${JSON.stringify(nodes)}`).join('\n'),
      );
    }
    await stack?.teardown();
    await cluster?.close();
  }, 120_000);

  /** One scenario's money and load: accounts of its own, one request every PACE_MS while `faults` run. */
  async function underLoad<F>(faults: (probe: Probes) => Promise<F>) {
    const treasury = await stack.openAccount(true);
    const source = await stack.openAccount();
    const sink = await stack.openAccount();
    await stack.fund(treasury, source, FUNDED.toString());
    const decidedOf = () =>
      stack.count(
        'transfer',
        `SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1::uuid AND status <> 'PENDING'`,
        [source],
      );
    const acceptedOf = () =>
      stack.count('transfer', `SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1::uuid`, [
        source,
      ]);
    let over = false;
    const inFlight: Promise<PostedTransfer>[] = [];
    const load = (async () => {
      while (!over || inFlight.length < MIN_REQUESTS) {
        const posting = stack.postTransfer(
          { fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() },
          { deadlineMs: 150_000 },
        );
        posting.catch(() => undefined);
        inFlight.push(posting);
        await sleep(PACE_MS);
      }
    })();
    let observed: F;
    try {
      await waitForProgress(decidedOf, 3, 60_000);
      observed = await faults({ decided: decidedOf, accepted: acceptedOf });
    } finally {
      over = true;
      await load;
    }
    const posted = await Promise.all(inFlight);
    return { posted, observed, money: { source, sink, funded: FUNDED, amount: AMOUNT } };
  }

  /** Polls (bounded) until `probe` reaches `atLeast`; returns how long that took. */
  async function waitForProgress(
    probe: () => Promise<number>,
    more: number,
    timeoutMs = PROGRESS_TIMEOUT_MS,
  ) {
    const startedAt = Date.now();
    const target = (await probe()) + more;
    for (;;) {
      const value = await probe();
      if (value >= target) return Date.now() - startedAt;
      if (Date.now() - startedAt > timeoutMs)
        throw new Error(
          `no progress: ${value} < ${target} after ${timeoutMs} ms\n${await stack.whereStuck()}`,
        );
      await sleep(100);
    }
  }

  async function settle(scenario: string, run: Awaited<ReturnType<typeof underLoad>>, extra: object) {
    const { failed } = await stack.settleAndAudit({
      scenario,
      ids: run.posted.map((p) => p.id),
      terminalTimeoutMs: CHAOS.timeoutMs(150_000),
      notifiedTimeoutMs: CHAOS.timeoutMs(60_000),
      money: run.money,
      observed: ({ completed, failed }) => ({
        transfers: run.posted.length,
        completed,
        failed: failed.length,
        clientSetbacks: tally(run.posted),
        ...extra,
      }),
    });
    expect(stack.unexpectedExits).toEqual([]);
    expect(run.posted.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(failed.every((row) => row.failure_reason === 'INSUFFICIENT_FUNDS')).toBe(true);
  }

  it('creates the topics with replication factor 3 and min.insync.replicas 2 on every broker', async () => {
    const admin = createKafkaClient({ clientId: 'chaos-cluster-check', brokers: cluster.brokers }).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(TEST_KAFKA_NAMESPACE));
      expect(topics.length).toBeGreaterThanOrEqual(6);
      const metadata = await admin.fetchTopicMetadata({ topics });
      for (const { partitions } of metadata.topics)
        for (const partition of partitions) expect(partition.replicas).toHaveLength(3);
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['min.insync.replicas'],
        })),
      });
      expect(new Set(resources.map((resource) => resource.configEntries[0]?.configValue))).toEqual(
        new Set(['2']),
      );
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it(
    'a) loses nothing when a broker of three is killed (kill -9) and restarted',
    async () => {
      const run = await underLoad(async ({ decided, accepted }) => {
        const faults = [];
        for (let round = 1; round <= CHAOS.rounds; round++) {
          const controller = await cluster.activeController();
          const victim = cluster.nodeIds.find((id) => id !== controller)!;
          const acceptedAtKill = await accepted();
          const decidedAtKill = await decided();
          await cluster.kill(victim);
          stack.injected.push(`kill -9 broker ${victim} (not the controller) at +${stack.elapsed()} ms`);
          // With one broker of three gone, the others still make min.insync.replicas: transfers go on.
          const progressWhileDownMs = await waitForProgress(decided, 3);
          const decidedWhileDown = (await decided()) - decidedAtKill;
          const acceptedWhileDown = (await accepted()) - acceptedAtKill;
          const { ms: restartMs } = await cluster.restart(victim);
          stack.injected.push(`broker ${victim} restarted at +${stack.elapsed()} ms (${restartMs} ms)`);
          const recoveredAfterMs = await waitForProgress(decided, 3);
          faults.push({
            broker: victim,
            progressWhileDownMs,
            decidedWhileDown,
            acceptedWhileDown,
            restartMs,
            recoveredAfterMs,
          });
        }
        usage.push({ moment: 'after broker kill', nodes: await cluster.usage() });
        return faults;
      });
      await settle(`3-node cluster: kill -9 one broker of three x${CHAOS.rounds}`, run, {
        faults: run.observed,
      });
      expect(run.observed.every((fault) => fault.decidedWhileDown > 0)).toBe(true);
    },
    CHAOS.timeoutMs(420_000),
  );

  it(
    'b) goes on when the active KRaft controller is killed (kill -9) and restarted',
    async () => {
      const run = await underLoad(async ({ decided }) => {
        const faults = [];
        for (let round = 1; round <= CHAOS.rounds; round++) {
          const controller = await cluster.activeController();
          const killedAt = Date.now();
          await cluster.kill(controller);
          stack.injected.push(`kill -9 active controller ${controller} at +${stack.elapsed()} ms`);
          const successor = await cluster.activeController();
          const electedAfterMs = Date.now() - killedAt;
          stack.injected.push(`node ${successor} elected controller after ${electedAfterMs} ms`);
          const progressWhileDownMs = await waitForProgress(decided, 3);
          const { ms: restartMs } = await cluster.restart(controller);
          stack.injected.push(`node ${controller} restarted at +${stack.elapsed()} ms (${restartMs} ms)`);
          const recoveredAfterMs = await waitForProgress(decided, 3);
          faults.push({
            controller,
            successor,
            electedAfterMs,
            progressWhileDownMs,
            restartMs,
            recoveredAfterMs,
          });
        }
        return faults;
      });
      await settle(`3-node cluster: kill -9 the active controller x${CHAOS.rounds}`, run, {
        faults: run.observed,
      });
      expect(run.observed.every((fault) => fault.successor !== fault.controller)).toBe(true);
    },
    CHAOS.timeoutMs(420_000),
  );

  it(
    'c) settles every transfer once while instances of every service are added and removed',
    async () => {
      for (const name of SERVICES) await stack.start(name);
      stack.injected.push(`second instance of every service at +${stack.elapsed()} ms`);
      const run = await underLoad(async ({ decided }) => {
        const moves = [];
        for (let round = 1; round <= CHAOS.rounds; round++) {
          for (const name of SERVICES) {
            const [leaving] = stack.instances.get(name)!;
            // The joiner first: it raises the partitions before the leaving instance's relay lock moves.
            // A producer learns a topic's partitions at its first send to it and then every
            // METADATA_MAX_AGE_MS: the lock may go to the other survivor, started before the raise, which
            // publishes on the old partitions until its next refresh (awaited below).
            const joiner = await stack.start(name, undefined, { KAFKA_PARTITIONS: String(PARTITIONS.after) });
            const publishedByLeaving = await publishedBy(leaving!.baseUrl);
            await stack.kill(name, 'SIGTERM', 0);
            stack.injected.push(
              `${name}-service: pid ${joiner.pid} joined, pid ${leaving!.pid} stopped at +${stack.elapsed()} ms`,
            );
            const progressAfterMs = await waitForProgress(decided, 2);
            moves.push({ service: name, publishedByLeaving, progressAfterMs });
          }
        }
        // Requests reach the new partitions within a metadata refresh of whichever relay holds the lock;
        // the load goes on until they do.
        const lastMoveAt = Date.now();
        await waitFor(
          newPartitions,
          (topics) => topics.find((topic) => topic.topic === TOPICS.transferRequests)!.onNewPartitions > 0,
          {
            timeoutMs: 2 * METADATA_MAX_AGE_MS,
            intervalMs: 1_000,
            what: 'transfer requests on the new partitions',
          },
        );
        stack.injected.push(
          `transfer requests on the new partitions ${Date.now() - lastMoveAt} ms after the last move`,
        );
        return moves;
      });
      const publishedByInstance = Object.fromEntries(
        await Promise.all(
          SERVICES.flatMap((name) =>
            stack.instances
              .get(name)!
              .map(
                async (instance) => [`${name}:${instance.pid}`, await publishedBy(instance.baseUrl)] as const,
              ),
          ),
        ),
      );
      await settle(
        `scale-out: 2 instances of every service, each replaced under load, partitions ${PARTITIONS.before} -> ${PARTITIONS.after} x${CHAOS.rounds}`,
        run,
        { moves: run.observed, publishedBySurvivors: publishedByInstance },
      );
      // Every topic was raised on the running system, the new partitions carried events, and each group
      // consumes them to the end (the audit above showed nothing lost or doubled). Offsets are committed
      // just after a batch's transaction, so the last commits may trail the audit by a moment.
      const partitions = await waitFor(
        newPartitions,
        (topics) => topics.every((topic) => topic.unconsumed === 0),
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          what: 'every consumer group at the end of its topic',
        },
      );
      console.log(`[chaos] partitions after the scale-out: ${JSON.stringify(partitions)}`);
      for (const topic of partitions) {
        expect(topic.partitions).toBe(PARTITIONS.after);
        expect(topic.members).toBe(2);
      }
      expect(
        partitions.find((topic) => topic.topic === TOPICS.transferRequests)!.onNewPartitions,
      ).toBeGreaterThan(0);
      // The relay's lock moved: the instances that stayed published too, not only the ones that left.
      expect(
        run.observed
          .filter((move) => move.service !== 'notification')
          .some((move) => move.publishedByLeaving > 0),
      ).toBe(true);
      expect(
        Object.entries(publishedByInstance).filter(
          ([key, count]) => !key.startsWith('notification') && count > 0,
        ),
      ).not.toEqual([]);
    },
    CHAOS.timeoutMs(480_000),
  );

  /** What an instance's outbox relay published, from its /metrics. */
  async function publishedBy(baseUrl: string): Promise<number> {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('oncepay_outbox_published_messages_total'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  /**
   * Per topic: its partitions now, the messages on those the raise added, what its consumer group has
   * not committed yet, and the group's members.
   */
  async function newPartitions() {
    const admin = createKafkaClient({
      clientId: 'chaos-cluster-partitions',
      brokers: cluster.brokers,
    }).admin();
    await admin.connect();
    try {
      return await Promise.all(
        READERS.map(async ({ topic, group }) => {
          const name = TEST_KAFKA_NAMESPACE + topic;
          const groupId = TEST_KAFKA_NAMESPACE + group;
          const ends = await admin.fetchTopicOffsets(name);
          const [committed] = await admin.fetchOffsets({ groupId, topics: [name] });
          const committedOf = (partition: number) =>
            Math.max(0, Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? 0));
          const [described] = (await admin.describeGroups([groupId])).groups;
          return {
            topic,
            partitions: ends.length,
            onNewPartitions: ends
              .filter(({ partition }) => partition >= PARTITIONS.before)
              .reduce((sum, { high }) => sum + Number(high), 0),
            unconsumed: ends.reduce(
              (sum, { partition, high }) => sum + Number(high) - committedOf(partition),
              0,
            ),
            members: described?.members.length ?? 0,
          };
        }),
      );
    } finally {
      await admin.disconnect();
    }
  }
});

interface Probes {
  /** Transfers of the scenario's load that are terminal. */
  decided: () => Promise<number>;
  /** Transfers of the scenario's load that were accepted. */
  accepted: () => Promise<number>;
}
