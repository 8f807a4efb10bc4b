// Fault injection: two ledger-service instances share one consumer group (same database, same
// namespace) while 60 transfers are posted; mid-load one instance is stopped (SIGTERM: it leaves the
// group, the survivor takes its partitions) and a new one is started (a second rebalance hands
// partitions over again). Requests trickle in over 6 s, so both moves happen under load; every transfer must still be
// decided exactly once, and the auditor must be clean.
import { ChaosStack, sleep } from './chaos-harness';

const FUNDED = 4_000n;
const AMOUNT = 100n;
const REQUESTS = 60;

describe('chaos: consumer-group rebalances between two ledger-service instances mid-load', () => {
  const stack = new ChaosStack();

  beforeAll(async () => {
    await stack.boot();
    await stack.start('ledger');
    stack.injected.push(`second ledger-service instance in the same group at +${stack.elapsed()} ms`);
  }, 120_000);
  afterAll(() => stack.teardown(), 60_000);

  it('decides every transfer once while partitions move and the auditor finds nothing', async () => {
    const treasury = await stack.openAccount(true);
    const source = await stack.openAccount();
    const sink = await stack.openAccount();
    await stack.fund(treasury, source, FUNDED.toString());
    const decided = () => stack.count('ledger', `SELECT count(*)::int - 1 AS n FROM ledger_decisions`);

    const posted = Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        await sleep(i * 100);
        return stack.postTransfer({ fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() });
      }),
    );
    const deadline = Date.now() + 30_000;
    while ((await decided()) < 10 && Date.now() < deadline) await sleep(10);
    const decidedAtStop = await decided();
    await stack.kill('ledger', 'SIGTERM', 0);
    const joiner = await stack.start('ledger');
    stack.injected.push(`third ledger-service instance pid ${joiner.pid} joined at +${stack.elapsed()} ms`);
    const decidedAtJoin = await decided();
    const results = await posted;

    const rows = await stack.waitTerminal(
      results.map((r) => r.id),
      90_000,
    );
    await stack.waitNotified();
    const completed = rows.filter((row) => row.status === 'COMPLETED').length;
    const report = await stack.audit();
    stack.report('ledger-service rebalance (2 instances, SIGTERM one, start one)', report, {
      requests: REQUESTS,
      decidedAtStop,
      decidedAtJoin,
      completed,
      failed: rows.length - completed,
    });

    expect(completed).toBe(Number(FUNDED / AMOUNT));
    expect(await stack.balanceOf(source)).toBe(FUNDED - BigInt(completed) * AMOUNT);
    expect(await stack.balanceOf(sink)).toBe(BigInt(completed) * AMOUNT);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 180_000);
});
