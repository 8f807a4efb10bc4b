// Fault injection on the wire: while a load of transfers runs, every event already consumed is
// published again (duplicates), events contradicting settled transfers are replayed out of order
// (a TransferRejected after a TransferPosted, a TransferPosted after a TransferRejected, a second
// TransferRequested, a TransferFailed after a TransferCompleted, all with older sequences or new ids),
// and poison messages are mixed in. Nothing may change a settled transfer, a balance or a notification;
// each poison message must land in a dead-letter topic and be the only thing the auditor counts there.
import { randomUUID } from 'node:crypto';
import { createEvent, decodeEvent, TOPICS, type OncePayEvent, type TransferFacts } from '@oncepay/contracts';
import {
  createTestKafka,
  TEST_KAFKA_NAMESPACE,
  testEnv,
  testTopic,
  uniqueName,
  waitFor,
} from '@oncepay/test-support';
import { countDeadLetters } from '../../apps/auditor/src/dead-letters';
import { CHAOS, ChaosStack } from './chaos-harness';

/** Transfers per wave; each wave's source is funded for two thirds of them. */
const WAVE = 30 * CHAOS.scale;
const FUNDING = String(2_000 * CHAOS.scale);

interface Captured {
  topic: string;
  partition: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  event: OncePayEvent;
}

const GROUPS = {
  [TOPICS.transferRequests]: 'ledger-service',
  [TOPICS.ledgerResults]: 'transfer-service',
  [TOPICS.transferOutcomes]: 'notification-service',
} as const;

describe('chaos: duplicate, out-of-order and poison messages on the namespaced topics', () => {
  const stack = new ChaosStack();
  const kafka = createTestKafka();

  beforeAll(() => stack.boot(), 90_000);
  afterAll(() => stack.teardown(), 60_000);

  it(
    'ignores every replay, dead-letters exactly the poison, and the auditor finds nothing',
    async () => {
      const treasury = await stack.openAccount(true);
      const [source1, source2, sink] = [
        await stack.openAccount(),
        await stack.openAccount(),
        await stack.openAccount(),
      ];
      await stack.fund(treasury, source1, FUNDING);
      await stack.fund(treasury, source2, FUNDING);
      const load = (from: string) =>
        Promise.all(
          Array.from({ length: WAVE }, () =>
            stack.postTransfer({ fromAccountId: from, toAccountId: sink, amount: '100' }),
          ),
        );

      // Wave 1 settles first: its events are the ones replayed.
      const wave1 = await load(source1);
      const settled1 = await stack.waitTerminal(
        wave1.map((p) => p.id),
        CHAOS.timeoutMs(90_000),
      );
      await stack.waitNotified(CHAOS.timeoutMs(30_000));
      const totalEvents = 2 + wave1.length; // the two fundings and wave 1, each one event per topic
      const captured = await readBack(Object.keys(GROUPS).map(testTopic), 3 * totalEvents);
      const before = await snapshot(stack, [source1, sink]);

      // Wave 2 runs while everything below is injected.
      const wave2Promise = load(source2);
      const completed = settled1.filter((t) => t.status === 'COMPLETED').map((t) => t.id);
      const failed = settled1.filter((t) => t.status === 'FAILED').map((t) => t.id);
      const eventOf = (type: OncePayEvent['type'], transferId: string) => {
        const found = captured.find((c) => c.event.type === type && c.event.aggregateId === transferId);
        if (!found) throw new Error(`no ${type} captured for ${transferId}`);
        return found;
      };
      const contradictions: Captured[] = [
        // The ledger "changes its mind" on posted transfers, with the sequence the real answer had.
        ...completed.slice(0, 3).map((id) => {
          const posted = eventOf('TransferPosted', id);
          const facts = factsOf(posted.event);
          return forged(
            posted,
            createEvent('TransferRejected', { ...facts, reason: 'INSUFFICIENT_FUNDS' }, meta(posted.event)),
          );
        }),
        // ...and on rejected ones.
        ...failed.slice(0, 3).map((id) => {
          const rejected = eventOf('TransferRejected', id);
          const facts = factsOf(rejected.event);
          return forged(
            rejected,
            createEvent(
              'TransferPosted',
              { ...facts, postedAt: new Date().toISOString() },
              meta(rejected.event),
            ),
          );
        }),
        // A second request for transfers the ledger already decided, under a new event id.
        ...[...completed.slice(3, 5), ...failed.slice(3, 5)].map((id) => {
          const requested = eventOf('TransferRequested', id);
          return forged(requested, { ...requested.event, id: randomUUID() } as OncePayEvent);
        }),
        // A final outcome contradicting the one already notified.
        ...completed.slice(5, 7).map((id) => {
          const done = eventOf('TransferCompleted', id);
          return forged(
            done,
            createEvent(
              'TransferFailed',
              { ...done.event.payload, reason: 'INSUFFICIENT_FUNDS' },
              meta(done.event, -1),
            ),
          );
        }),
      ];
      const poison = Object.keys(GROUPS).flatMap((topic) => [
        { topic: testTopic(topic), messages: [{ key: randomUUID(), value: '{"id": "not json' }] },
        {
          topic: testTopic(topic),
          messages: [{ key: randomUUID(), value: JSON.stringify({ hello: 'world' }) }],
        },
      ]);

      process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
      // Idempotent: a retried send must not add a second copy of a poison message to the count.
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        // Duplicates of everything consumed, then the contradictions, then the poison.
        for (const c of [...captured, ...contradictions]) {
          await producer.send({
            topic: c.topic,
            acks: -1,
            messages: [{ partition: c.partition, key: c.key, value: c.value, headers: c.headers }],
          });
        }
        for (const batch of poison) await producer.send({ ...batch, acks: -1 });
      } finally {
        await producer.disconnect();
      }
      stack.injected.push(
        `${captured.length} duplicates of consumed events (${totalEvents} per topic)`,
        `${contradictions.length} out-of-order / contradicting events: ${contradictions.map((c) => c.event.type).join(', ')}`,
        `${poison.length} poison messages (malformed JSON and a non-envelope), 2 per topic`,
      );

      const wave2 = await wave2Promise;
      let after!: Snapshot;
      // The money is checked against the snapshots below: wave 1 also paid the sink.
      const { completed: completed2, report } = await stack.settleAndAudit({
        scenario: 'duplicate / out-of-order / poison re-delivery',
        ids: wave2.map((p) => p.id),
        terminalTimeoutMs: CHAOS.timeoutMs(90_000),
        notifiedTimeoutMs: CHAOS.timeoutMs(30_000),
        expectedDeadLetters: poison.length,
        beforeNotified: async () => {
          await waitForNoLag(kafka);
          await waitFor(
            async () =>
              (await countDeadLetters(testEnv.kafkaBrokers, TEST_KAFKA_NAMESPACE)).reduce(
                (s, c) => s + c.messages,
                0n,
              ),
            (n) => n >= BigInt(poison.length),
            { timeoutMs: 20_000, intervalMs: 250, what: 'the poison in the dead-letter topics' },
          );
        },
        beforeAudit: async () => {
          after = await snapshot(stack, [source1, sink]);
        },
        observed: (settled2) => ({
          wave1: { completed: completed.length, failed: failed.length },
          wave2: { completed: settled2.completed },
        }),
      });

      // Wave 1 is exactly as it was before the replays (wave 2 only adds its own rows).
      expect(after.statuses.filter((row) => before.statuses.some((b) => b.id === row.id))).toEqual(
        before.statuses,
      );
      expect(after.balances[0]).toBe(before.balances[0]);
      expect(after.balances[1]).toBe(before.balances[1]! + BigInt(completed2) * 100n);
      expect(after.notifications).toBe(before.notifications + wave2.length);
      expect(after.journalEntries).toBe(before.journalEntries + 2 * completed2);
      expect(completed).toHaveLength(20 * CHAOS.scale);
      expect(completed2).toBe(20 * CHAOS.scale);
      expect(report.counts.deadLetters).toBe(poison.length);
    },
    CHAOS.timeoutMs(150_000),
  );
});

/** The facts every event of a transfer carries, without the type-specific fields. */
function factsOf(event: OncePayEvent): TransferFacts {
  const { transferId, clientId, fromAccountId, toAccountId, amountMinor, currency, reference } =
    event.payload;
  return { transferId, clientId, fromAccountId, toAccountId, amountMinor, currency, reference };
}

/** A replayed event carries the id and time the test gives it, an older or equal sequence, the original's correlation. */
function meta(original: OncePayEvent, sequenceDelta = 0) {
  return {
    id: randomUUID(),
    occurredAt: new Date(),
    producer: original.producer,
    sequence: original.sequence + sequenceDelta,
    correlationId: original.correlationId,
    causationId: original.causationId,
  };
}

/** `event`, encoded like the services encode it, on the partition of `like`. */
function forged(like: Captured, event: OncePayEvent): Captured {
  const value = JSON.stringify(event, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return {
    topic: like.topic,
    partition: like.partition,
    key: like.key,
    value,
    headers: {
      'event-id': event.id,
      'event-type': event.type,
      'schema-version': String(event.schemaVersion),
      'correlation-id': event.correlationId,
    },
    event,
  };
}

async function readBack(topics: string[], expected: number): Promise<Captured[]> {
  const kafka = createTestKafka();
  const consumer = kafka.consumer({ groupId: uniqueName('chaos-reader') });
  const captured: Captured[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString() ?? '';
        const decoded = decodeEvent(value);
        if (!decoded.ok) throw new Error(`undecodable message on ${topic}: ${decoded.reason}`);
        captured.push({
          topic,
          partition,
          key: message.key?.toString() ?? null,
          value,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          event: decoded.event,
        });
      },
    });
    await waitFor(
      () => Promise.resolve(captured.length),
      (n) => n >= expected,
      { timeoutMs: CHAOS.timeoutMs(30_000), intervalMs: 100, what: `${expected} consumed events read back` },
    );
  } finally {
    await consumer.disconnect();
  }
  return captured;
}

/** Waits (bounded) until each service's group has committed past the end of its topic. */
async function waitForNoLag(kafka: ReturnType<typeof createTestKafka>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        let lag = 0n;
        for (const [topic, group] of Object.entries(GROUPS)) {
          const ends = await admin.fetchTopicOffsets(testTopic(topic));
          const [committed] = await admin.fetchOffsets({
            groupId: TEST_KAFKA_NAMESPACE + group,
            topics: [testTopic(topic)],
          });
          for (const { partition, high } of ends) {
            const at = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
            lag += BigInt(high) - (at === '-1' ? 0n : BigInt(at));
          }
        }
        return lag;
      },
      (lag) => lag === 0n,
      {
        timeoutMs: CHAOS.timeoutMs(40_000),
        intervalMs: 300,
        what: 'every service group to consume every message',
      },
    );
  } finally {
    await admin.disconnect();
  }
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

async function snapshot(stack: ChaosStack, accounts: string[]) {
  const statuses = await stack.query<{ id: string; status: string; version: number }>(
    'transfer',
    `SELECT id::text AS id, status::text AS status, version FROM transfers ORDER BY id`,
  );
  const notifications = await stack.count('notification', `SELECT count(*)::int AS n FROM notifications`);
  const journalEntries = await stack.count('ledger', `SELECT count(*)::int AS n FROM journal_entries`);
  const balances = await Promise.all(accounts.map((id) => stack.balanceOf(id)));
  return { statuses, notifications, journalEntries, balances };
}
