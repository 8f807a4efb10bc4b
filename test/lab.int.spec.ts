// Runs the delivery-semantics lab on the real broker and database, small (30 transfers, one crash of
// each consumer at each crash point, one lost producer acknowledgement, one rebalance, a fixed seed),
// all six modes side by side, and checks what the lab exists to show, column by column: the same
// faults lose transfers at most once, repeat postings and notifications at least once without dedup,
// lose answers in a dual write, put requests on the topic twice without an idempotent producer, repeat
// the database effect (and only it) under Kafka transactions, and do no harm effectively-once. It also
// checks the lab cleaned up the databases and topics it made.
import { Client } from 'pg';
import { createTestKafka, testEnv } from '@oncepay/test-support';
import { runLab, type LabResult } from '../scripts/lab/lab';
import { LAB_MODES, type LabMode } from '../scripts/lab/modes';
import { labNames, type ModeResult } from '../scripts/lab/run-mode';
import type { Tally } from '../scripts/lab/tally';

const SEED = 20261127;

describe('the delivery-semantics lab on the real broker and database', () => {
  let lab: LabResult;
  const resultOf = (mode: LabMode): ModeResult => {
    const result = lab.results.find((candidate) => candidate.mode === mode);
    if (!result) throw new Error(`no result for ${mode}`);
    return result;
  };
  const tallyOf = (mode: LabMode): Tally => resultOf(mode).tally;
  const crashesOf = (mode: LabMode): string[] => resultOf(mode).crashes;

  // About a minute on an idle two-core machine, mostly Kafka noticing killed consumers (a 6 s session
  // timeout per restart) and the rebalance (the held ledger's session expiring); the bounds leave room
  // for a loaded one.
  beforeAll(async () => {
    lab = await runLab({
      seed: SEED,
      transfers: 30,
      crashesPerPoint: 1,
      infra: { postgresAdminUrl: testEnv.postgresAdminUrl, kafkaBrokers: testEnv.kafkaBrokers },
      timeoutMs: 150_000,
    });
  }, 180_000);

  it('ran every mode through the scheduled crashes, the lost acknowledgement and the rebalance', () => {
    expect(lab.results.map((result) => result.mode)).toEqual([...LAB_MODES]);
    // The modes that commit after the effect and lose no answer redeliver, so every scheduled crash's
    // message arrives and it happens.
    const scheduled = lab.plan.faults.map((fault) => fault.id).sort();
    for (const mode of [
      'at-least-once',
      'effectively-once',
      'non-idempotent-producer',
      'kafka-transactions',
    ] as const)
      expect([...crashesOf(mode)].sort()).toEqual(scheduled);
    expect(lab.plan.ackLosses).toHaveLength(1);
    expect(lab.plan.rebalance).not.toBeNull();
    const otherFaults = [...lab.plan.ackLosses.map((loss) => loss.id), lab.plan.rebalance?.id];
    for (const result of lab.results) {
      expect(result.tally.requested).toBe(30);
      // Every mode's request producer lost the acknowledgement, and every ledger went through the rebalance.
      expect(result.otherFaults).toEqual(otherFaults);
    }
  });

  it('at-most-once loses the transfer its ledger crashed on before posting, and duplicates nothing', () => {
    const amo = tallyOf('at-most-once');
    expect(amo.lost).toBeGreaterThan(0);
    expect(amo.balanceDriftMinor > 0n).toBe(true);
    expect(amo.postedTwice).toBe(0);
    expect(amo.notificationsDuplicated).toBe(0);
    expect(amo).toMatchObject({ requestsOnTopicTwice: 0, answersOnTopicTwice: 0 });
  });

  it('at-least-once without dedup loses nothing, but posts and notifies twice', () => {
    const alo = tallyOf('at-least-once');
    expect(alo.postedTwice).toBeGreaterThan(0);
    expect(alo.notificationsDuplicated).toBeGreaterThan(0);
    expect(alo.balanceDriftMinor > 0n).toBe(true);
    expect(alo.lost).toBe(0);
    expect(alo.notificationsMissing).toBe(0);
    // Its ledger republished the answers it posted again.
    expect(alo.answersOnTopicTwice).toBeGreaterThan(0);
  });

  it('effectively-once comes through the same faults with nothing lost, repeated, drifted or sent twice', () => {
    expect(tallyOf('effectively-once')).toEqual({
      requested: 30,
      lost: 0,
      postedTwice: 0,
      notificationsDuplicated: 0,
      notificationsMissing: 0,
      balanceDriftMinor: 0n,
      requestsOnTopicTwice: 0,
      answersOnTopicTwice: 0,
    } satisfies Tally);
  });

  it('a dual write without an outbox loses the answer of the ledger crashed between commit and send', () => {
    const dual = tallyOf('dual-write');
    expect(dual.notificationsMissing).toBeGreaterThan(0);
    // Its dedup holds: nothing is posted twice, lost or misbooked.
    expect(dual).toMatchObject({
      lost: 0,
      postedTwice: 0,
      notificationsDuplicated: 0,
      requestsOnTopicTwice: 0,
      answersOnTopicTwice: 0,
    });
    expect(dual.balanceDriftMinor).toBe(0n);
  });

  it('a producer without idempotence puts a batch on the topic twice, and the ledger without dedup posts it twice', () => {
    const plain = tallyOf('non-idempotent-producer');
    expect(plain.requestsOnTopicTwice).toBeGreaterThan(0);
    expect(plain.postedTwice).toBeGreaterThan(0);
    // Every request on the topic twice is a distinct transfer, and each was posted at least twice.
    expect(plain.postedTwice).toBeGreaterThanOrEqual(plain.requestsOnTopicTwice);
    expect(plain.lost).toBe(0);
    // The same lost acknowledgement against the idempotent producer: the broker dropped the retry.
    for (const mode of LAB_MODES.filter((m) => m !== 'non-idempotent-producer'))
      expect(tallyOf(mode).requestsOnTopicTwice).toBe(0);
  });

  it('Kafka transactions keep the answers exactly-once, but not the posting outside the transaction', () => {
    const transactions = resultOf('kafka-transactions');
    expect(transactions.tally.postedTwice).toBeGreaterThan(0);
    expect(transactions.tally.balanceDriftMinor > 0n).toBe(true);
    // The aborted transactions' answers are on the topic, but a read_committed reader never sees them.
    expect(transactions.tally).toMatchObject({
      requestsOnTopicTwice: 0,
      answersOnTopicTwice: 0,
      lost: 0,
      notificationsDuplicated: 0,
      notificationsMissing: 0,
    });
  });

  it('dropped its databases and deleted its topics', async () => {
    const modes = lab.results.map((result) => labNames(lab.runId, result.mode));
    const admin = new Client({ connectionString: testEnv.postgresAdminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname = ANY($1::text[])`,
        [modes.map((names) => names.database)],
      );
      expect(rows).toEqual([]);
    } finally {
      await admin.end();
    }
    const kafkaAdmin = createTestKafka().admin();
    await kafkaAdmin.connect();
    try {
      const topics = await kafkaAdmin.listTopics();
      expect(topics.filter((topic) => topic.startsWith(`lab.${lab.runId}.`))).toEqual([]);
    } finally {
      await kafkaAdmin.disconnect();
    }
  });
});
