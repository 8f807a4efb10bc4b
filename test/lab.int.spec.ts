// Runs the delivery-semantics lab on the real broker and database, small (30 transfers, one crash of
// each consumer at each crash point, a fixed seed), and checks what the lab exists to show: the same
// crashes lose transfers at most once, repeat postings and notifications at least once without dedup,
// and do no harm effectively-once. It also checks the lab cleaned up the databases and topics it made.
import { Client } from 'pg';
import { createTestKafka, testEnv } from '@oncepay/test-support';
import { runLab, type LabResult } from '../scripts/lab/lab';
import type { LabMode } from '../scripts/lab/modes';
import { labNames } from '../scripts/lab/run-mode';
import type { Tally } from '../scripts/lab/tally';

const SEED = 20261127;

describe('the delivery-semantics lab on the real broker and database', () => {
  let lab: LabResult;
  const tallyOf = (mode: LabMode): Tally => {
    const result = lab.results.find((candidate) => candidate.mode === mode);
    if (!result) throw new Error(`no result for ${mode}`);
    return result.tally;
  };
  const crashesOf = (mode: LabMode): string[] =>
    lab.results.find((result) => result.mode === mode)?.crashes ?? [];

  // About 30 s on an idle two-core machine, mostly Kafka noticing killed consumers (a 6 s session
  // timeout per restart); the bounds leave room for a loaded one.
  beforeAll(async () => {
    lab = await runLab({
      seed: SEED,
      transfers: 30,
      crashesPerPoint: 1,
      infra: { postgresAdminUrl: testEnv.postgresAdminUrl, kafkaBrokers: testEnv.kafkaBrokers },
      timeoutMs: 150_000,
    });
  }, 180_000);

  it('ran every mode through the scheduled crashes', () => {
    expect(lab.results.map((result) => result.mode)).toEqual([
      'at-most-once',
      'at-least-once',
      'effectively-once',
    ]);
    // Both at-least-once modes redeliver, so every scheduled crash's message arrives and it happens.
    const scheduled = lab.plan.faults.map((fault) => fault.id).sort();
    expect([...crashesOf('at-least-once')].sort()).toEqual(scheduled);
    expect([...crashesOf('effectively-once')].sort()).toEqual(scheduled);
    for (const result of lab.results) expect(result.tally.requested).toBe(30);
  });

  it('at-most-once loses the transfer its ledger crashed on before posting, and duplicates nothing', () => {
    const amo = tallyOf('at-most-once');
    expect(amo.lost).toBeGreaterThan(0);
    expect(amo.balanceDriftMinor > 0n).toBe(true);
    expect(amo.postedTwice).toBe(0);
    expect(amo.notificationsDuplicated).toBe(0);
  });

  it('at-least-once without dedup loses nothing, but posts and notifies twice', () => {
    const alo = tallyOf('at-least-once');
    expect(alo.postedTwice).toBeGreaterThan(0);
    expect(alo.notificationsDuplicated).toBeGreaterThan(0);
    expect(alo.balanceDriftMinor > 0n).toBe(true);
    expect(alo.lost).toBe(0);
    expect(alo.notificationsMissing).toBe(0);
  });

  it('effectively-once comes through the same crashes with nothing lost, repeated or drifted', () => {
    expect(tallyOf('effectively-once')).toEqual({
      requested: 30,
      lost: 0,
      postedTwice: 0,
      notificationsDuplicated: 0,
      notificationsMissing: 0,
      balanceDriftMinor: 0n,
    } satisfies Tally);
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
