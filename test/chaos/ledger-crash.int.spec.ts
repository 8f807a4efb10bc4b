// Fault injection: the ledger-service is killed with SIGKILL while it posts a load of concurrent
// transfers, twice, and restarted on the same database each time. No graceful shutdown, no offset
// commit, transactions cut mid-way: on restart the consumer re-reads what it had not committed and its
// dedup must absorb it. Ends with every transfer terminal, exact balances, and the auditor clean.
import { ChaosStack, sleep } from './chaos-harness';

const FUNDED = 4_000n;
const AMOUNT = 100n;
const WAVE = 30;

describe('chaos: kill -9 of the ledger-service mid-load', () => {
  const stack = new ChaosStack();

  beforeAll(() => stack.boot(), 90_000);
  afterAll(() => stack.teardown(), 60_000);

  it('posts every transfer at most once across two crashes and the auditor finds nothing', async () => {
    const treasury = await stack.openAccount(true);
    const source = await stack.openAccount();
    const sink = await stack.openAccount();
    await stack.fund(treasury, source, FUNDED.toString());
    // Decisions on the load (the funding transfer is the first one).
    const decided = () => stack.count('ledger', `SELECT count(*)::int - 1 AS n FROM ledger_decisions`);
    const transfer = () =>
      stack.postTransfer({ fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() });

    // Wave 1: 30 concurrent transfers; crash the ledger as soon as it has decided a few of them.
    const wave1 = Promise.all(Array.from({ length: WAVE }, transfer));
    const atFirstKill = await waitForProgress(decided, 3);
    await stack.crashAndRestart('ledger');
    // Wave 2 while the restarted ledger is still rejoining its group, then crash it again before it
    // settles: the second process dies with the first one's uncommitted work still to redo.
    const wave2 = Promise.all(Array.from({ length: WAVE }, transfer));
    await sleep(500);
    const atSecondKill = await decided();
    await stack.crashAndRestart('ledger');
    const posted = [...(await wave1), ...(await wave2)];

    const rows = await stack.waitTerminal(
      posted.map((p) => p.id),
      100_000,
    );
    await stack.waitNotified();
    const completed = rows.filter((row) => row.status === 'COMPLETED').length;
    const failed = rows.filter((row) => row.status === 'FAILED');
    const report = await stack.audit();
    stack.report('ledger-service kill -9 x2', report, {
      transfers: posted.length,
      decidedAtFirstKill: atFirstKill,
      decidedAtSecondKill: atSecondKill,
      completed,
      failed: failed.length,
    });

    expect(new Set(posted.map((p) => p.id)).size).toBe(2 * WAVE);
    // 4000 covers exactly 40 transfers of 100: no more (a double posting), no fewer (a lost one).
    expect(completed).toBe(Number(FUNDED / AMOUNT));
    expect(failed.every((row) => row.failure_reason === 'INSUFFICIENT_FUNDS')).toBe(true);
    expect(await stack.balanceOf(source)).toBe(FUNDED - BigInt(completed) * AMOUNT);
    expect(await stack.balanceOf(sink)).toBe(BigInt(completed) * AMOUNT);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  }, 180_000);
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
