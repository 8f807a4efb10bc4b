// Fault injection: two ledger-service instances share one consumer group (same database, same
// namespace) while 60 transfers (times CHAOS_SCALE) are posted; mid-load, once per round, one instance
// is stopped (SIGTERM: it leaves the group, the survivor takes its partitions) and a new one is started
// (a second rebalance hands partitions over again). Requests trickle in over 6 s per round, so every
// move happens under load; every transfer must still be decided exactly once, and the auditor must be
// clean.
import { setTimeout as sleep } from 'node:timers/promises';
import { CHAOS, ChaosStack } from './chaos-harness';

const AMOUNT = 100n;
/** Enough for 40 transfers per unit of scale: some of the requests must fail. */
const FUNDED = 4_000n * BigInt(CHAOS.scale);
const REQUESTS = 60 * CHAOS.scale;
/** Requests trickle in over 6 s per round, so every move of partitions happens under load. */
const PACE_MS = (6_000 * CHAOS.rounds) / REQUESTS;

describe('chaos: consumer-group rebalances between two ledger-service instances mid-load', () => {
  const stack = new ChaosStack();

  beforeAll(async () => {
    await stack.boot();
    await stack.start('ledger');
    stack.injected.push(`second ledger-service instance in the same group at +${stack.elapsed()} ms`);
  }, 120_000);
  afterAll(() => stack.teardown(), 60_000);

  it(
    'decides every transfer once while partitions move and the auditor finds nothing',
    async () => {
      const treasury = await stack.openAccount(true);
      const source = await stack.openAccount();
      const sink = await stack.openAccount();
      await stack.fund(treasury, source, FUNDED.toString());
      const decided = () => stack.count('ledger', `SELECT count(*)::int - 1 AS n FROM ledger_decisions`);

      const posted = Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          await sleep(i * PACE_MS);
          return stack.postTransfer({ fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() });
        }),
      );
      const decidedAtStop: number[] = [];
      const decidedAtJoin: number[] = [];
      for (let round = 1; round <= CHAOS.rounds; round++) {
        // A sixth of the requests decided before the first move, then evenly spread over the rounds.
        const threshold = Math.ceil((REQUESTS * round) / (CHAOS.rounds + 5));
        const deadline = Date.now() + 30_000;
        while ((await decided()) < threshold && Date.now() < deadline) await sleep(10);
        decidedAtStop.push(await decided());
        await stack.kill('ledger', 'SIGTERM', 0);
        const joiner = await stack.start('ledger');
        stack.injected.push(`new ledger-service instance pid ${joiner.pid} joined at +${stack.elapsed()} ms`);
        decidedAtJoin.push(await decided());
      }
      const results = await posted;

      await stack.settleAndAudit({
        scenario: `ledger-service rebalance (2 instances, SIGTERM one, start one) x${CHAOS.rounds}`,
        ids: results.map((r) => r.id),
        terminalTimeoutMs: CHAOS.timeoutMs(90_000),
        notifiedTimeoutMs: CHAOS.timeoutMs(30_000),
        money: { source, sink, funded: FUNDED, amount: AMOUNT },
        observed: ({ rows, completed }) => ({
          requests: REQUESTS,
          decidedAtStop,
          decidedAtJoin,
          completed,
          failed: rows.length - completed,
        }),
      });
    },
    CHAOS.timeoutMs(180_000),
  );
});
