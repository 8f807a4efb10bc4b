// Fault injection: the ledger-service is killed with SIGKILL while it posts a load of concurrent
// transfers, twice per round (CHAOS_ROUNDS), and restarted on the same database each time. No graceful shutdown, no offset
// commit, transactions cut mid-way: on restart the consumer re-reads what it had not committed and its
// dedup must absorb it. The payment mix runs beside the load (payment-mix.ts), so the ledger dies with
// hold placements, captures, releases and refund checks in flight too. Ends with every transfer
// terminal, every hold ended as decided, exact balances, and the auditor clean.
import { setTimeout as sleep } from 'node:timers/promises';
import { CHAOS, ChaosStack, type PostedTransfer } from './chaos-harness';

const AMOUNT = 100n;
/** Enough for 40 transfers per unit of scale; each round posts two waves, so some must fail. */
const FUNDED = 4_000n * BigInt(CHAOS.scale);
const WAVE = 30 * CHAOS.scale;

describe('chaos: kill -9 of the ledger-service mid-load', () => {
  const stack = new ChaosStack();

  beforeAll(() => stack.boot(), 90_000);
  afterAll(() => stack.teardown(), 60_000);

  it(
    `posts every transfer at most once across ${2 * CHAOS.rounds} crashes and the auditor finds nothing`,
    async () => {
      const treasury = await stack.openAccount(true);
      const source = await stack.openAccount();
      const sink = await stack.openAccount();
      await stack.fund(treasury, source, FUNDED.toString());
      const mix = await stack.startMix({ workers: CHAOS.mixWorkers });
      // Decisions on the load: its transfers posted to the sink or rejected (the mix has no rejections).
      const decided = () =>
        stack.count(
          'ledger',
          `SELECT count(*)::int AS n FROM ledger_decisions d
            WHERE d.outcome = 'REJECTED'
               OR EXISTS (SELECT 1 FROM journal_entries e WHERE e.transfer_id = d.transfer_id AND e.account_id = $1::uuid)`,
          [sink],
        );
      const transfer = () =>
        stack.postTransfer({ fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() });

      const waves: Promise<PostedTransfer[]>[] = [];
      const decidedAtKills: number[] = [];
      for (let round = 1; round <= CHAOS.rounds; round++) {
        // A wave of concurrent transfers; crash the ledger as soon as it has decided a few more.
        waves.push(Promise.all(Array.from({ length: WAVE }, transfer)));
        decidedAtKills.push(await waitForProgress(decided, (await decided()) + 3));
        await stack.crashAndRestart('ledger');
        // Another wave while the restarted ledger is still rejoining its group, then crash it again
        // before it settles: the second process dies with the first one's uncommitted work still to redo.
        waves.push(Promise.all(Array.from({ length: WAVE }, transfer)));
        await sleep(500);
        decidedAtKills.push(await decided());
        await stack.crashAndRestart('ledger');
      }
      const posted = (await Promise.all(waves)).flat();

      const { failed } = await stack.settleAndAudit({
        scenario: `ledger-service kill -9 x${2 * CHAOS.rounds}`,
        ids: posted.map((p) => p.id),
        terminalTimeoutMs: CHAOS.timeoutMs(100_000),
        notifiedTimeoutMs: CHAOS.timeoutMs(30_000),
        money: { source, sink, funded: FUNDED, amount: AMOUNT },
        mix,
        observed: ({ completed, failed }) => ({
          transfers: posted.length,
          decidedAtKills,
          completed,
          failed: failed.length,
        }),
      });

      expect(new Set(posted.map((p) => p.id)).size).toBe(2 * WAVE * CHAOS.rounds);
      expect(failed.every((row) => row.failure_reason === 'INSUFFICIENT_FUNDS')).toBe(true);
    },
    CHAOS.timeoutMs(180_000),
  );
});

/** Polls (bounded) until `probe` reaches `atLeast`; returns the value it reached. */
async function waitForProgress(probe: () => Promise<number>, atLeast: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value >= atLeast) return value;
    if (Date.now() > deadline) throw new Error(`no progress: ${value} < ${atLeast} after 30 s`);
    await sleep(25);
  }
}
