// Fault injection: a service's PostgreSQL goes away for a few seconds while transfers are in flight.
// The ledger-service's and the transfer-service's databases live on a PostgreSQL server of this
// scenario's own (the notification-service stays on the test run's). Each round stops that server
// twice and starts it again on the same data dir and port: first an immediate shutdown (SIGQUIT, what
// a crash leaves: connections cut mid-transaction, crash recovery on restart), then a fast shutdown
// (SIGINT: open transactions rolled back, clients told 57P01). Meanwhile clients keep posting and
// retrying with the same Idempotency-Key, the consumers' handlers and both outbox relays fail, and
// the pooled connections of every Prisma client die. Afterwards every transfer must be terminal, the
// balances exact and the auditor clean.
import { setTimeout as sleep } from 'node:timers/promises';
import { CHAOS, ChaosStack, tally, type PostedTransfer } from './chaos-harness';
import { TEST_CLIENTS } from '@oncepay/test-support';
import { RestartablePostgres } from './dedicated-infra';

const AMOUNT = 100n;
/** Enough for 40 transfers per unit of scale; more than that are posted, so some must fail. */
const FUNDED = 4_000n * BigInt(CHAOS.scale);
const MIN_REQUESTS = 60 * CHAOS.scale;
/** One request every PACE_MS, from before the first stop to after the last restart. */
const PACE_MS = Math.max(20, Math.round(100 / CHAOS.scale));
const DOWN_MS = 4_000;
/** How long transfers may stay still after PostgreSQL is back before the scenario gives up. */
const RECOVERY_TIMEOUT_MS = 90_000;

interface Fault {
  kind: 'immediate shutdown' | 'fast shutdown';
  at: number;
  decidedAtStop: number;
  pendingAtStop: number;
  stopMs: number;
  restartMs: number;
  /** From PostgreSQL accepting connections again to the ledger deciding the next transfers. */
  recoveredAfterMs: number;
}

describe("chaos: the ledger's and transfer's PostgreSQL stopped mid-load", () => {
  let postgres: RestartablePostgres;
  let stack: ChaosStack;

  beforeAll(async () => {
    postgres = await RestartablePostgres.start();
    stack = new ChaosStack({
      postgresAdminUrls: { ledger: postgres.adminUrl, transfer: postgres.adminUrl },
    });
    stack.injected.push(`own PostgreSQL for ledger and transfer (log ${postgres.logFile})`);
    await stack.boot();
  }, 180_000);
  afterAll(async () => {
    await stack?.teardown();
    await postgres?.close();
  }, 90_000);

  it(
    'settles every transfer exactly once across database restarts and the auditor finds nothing',
    async () => {
      const treasury = await stack.openAccount(true);
      const source = await stack.openAccount();
      const sink = await stack.openAccount();
      // Receives the lone transfers that measure latency, apart from the load's money.
      const probe = await stack.openAccount();
      await stack.fund(treasury, source, FUNDED.toString());
      const latencyBefore = await settleOneAlone(stack, treasury, probe);
      const decisions = () => stack.count('ledger', `SELECT count(*)::int AS n FROM ledger_decisions`);
      const decidedBefore = await decisions();
      // Decisions on the load.
      const decided = async () => (await decisions()) - decidedBefore;
      const pending = () =>
        stack.count('transfer', `SELECT count(*)::int AS n FROM transfers WHERE status = 'PENDING'`);

      // The load: one request every PACE_MS until the faults are over and MIN_REQUESTS were sent.
      let faultsOver = false;
      const inFlight: Promise<PostedTransfer>[] = [];
      const load = (async () => {
        while (!faultsOver || inFlight.length < MIN_REQUESTS) {
          const posting = stack.postTransfer(
            { fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() },
            // Generous: a request cut off with the database is retried until the database is back.
            { deadlineMs: 120_000 },
          );
          // Handled here too: a scenario that fails early must not leave rejections unhandled.
          posting.catch(() => undefined);
          inFlight.push(posting);
          await sleep(PACE_MS);
        }
      })();

      // One fault: stop the server, keep it down, start it again, wait until transfers move again.
      const restartPostgres = async (kind: Fault['kind']): Promise<Fault> => {
        const at = stack.elapsed();
        const decidedAtStop = await decided();
        const pendingAtStop = await pending();
        const { ms: stopMs } = kind === 'immediate shutdown' ? await postgres.crash() : await postgres.stop();
        stack.injected.push(
          `PostgreSQL ${kind} at +${at} ms (${decidedAtStop} decided, ${pendingAtStop} pending, stop took ${stopMs} ms)`,
        );
        await sleep(DOWN_MS);
        const { ms: restartMs } = await postgres.start();
        stack.injected.push(
          `PostgreSQL started again at +${stack.elapsed()} ms (down ${DOWN_MS + restartMs} ms)`,
        );
        const backAt = Date.now();
        // The harness' own pooled connections were cut too: the first probe may fail once.
        const decidedOrNot = () => decided().catch(() => -1);
        const before = await waitForProgress(stack, decidedOrNot, 0, 10_000);
        await waitForProgress(stack, decidedOrNot, before + 3, RECOVERY_TIMEOUT_MS);
        return {
          kind,
          at,
          decidedAtStop,
          pendingAtStop,
          stopMs,
          restartMs,
          recoveredAfterMs: Date.now() - backAt,
        };
      };

      const faults: Fault[] = [];
      try {
        await waitForProgress(stack, decided, 5, 30_000);
        for (let round = 1; round <= CHAOS.rounds; round++) {
          for (const kind of ['immediate shutdown', 'fast shutdown'] as const) {
            faults.push(await restartPostgres(kind));
          }
        }
      } finally {
        faultsOver = true;
        await load;
      }
      const posted = await Promise.all(inFlight);

      let latencyAfter = 0;
      const { failed } = await stack.settleAndAudit({
        scenario: 'PostgreSQL of ledger and transfer stopped (immediate and fast shutdown)',
        ids: posted.map((p) => p.id),
        terminalTimeoutMs: CHAOS.timeoutMs(120_000),
        notifiedTimeoutMs: CHAOS.timeoutMs(60_000),
        money: { source, sink, funded: FUNDED, amount: AMOUNT },
        // Every hop again (request, ledger, result) with nothing else in flight: as fast as before?
        beforeNotified: async () => {
          latencyAfter = await settleOneAlone(stack, treasury, probe);
        },
        observed: ({ completed, failed }) => ({
          transfers: posted.length,
          faults,
          retried: posted.filter((p) => p.attempts > 1).length,
          maxAttempts: Math.max(...posted.map((p) => p.attempts)),
          clientSetbacks: tally(posted),
          completed,
          failed: failed.length,
          loneTransferLatencyMs: { before: latencyBefore, after: latencyAfter },
          logs: {
            handlerRetries: countAll(
              stack,
              /handler failed; retrying|batch failed on infrastructure; retrying/,
            ),
            batchesSplit: countAll(stack, /batch failed; handling its events one by one/),
            handedBackToKafkajs: countAll(stack, /handing back to kafkajs/),
            consumerCrashes: countAll(stack, /Crash: /),
            relayPassFailed: countAll(stack, /outbox relay pass failed/),
            listenLost: countAll(stack, /outbox listen connection lost/),
            deadLettered: countAll(stack, /message dead-lettered/),
          },
        }),
      });

      expect(stack.unexpectedExits).toEqual([]);
      expect(new Set(posted.map((p) => p.id)).size).toBe(posted.length);
      expect(posted.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
      // The faults hit the clients: requests sent while the database was down had to be retried.
      expect(posted.some((p) => p.attempts > 1)).toBe(true);
      expect(failed.every((row) => row.failure_reason === 'INSUFFICIENT_FUNDS')).toBe(true);
    },
    CHAOS.timeoutMs(360_000),
  );
});

/** Posts one transfer with nothing else in flight and returns how long it took to become terminal. */
async function settleOneAlone(stack: ChaosStack, from: string, to: string): Promise<number> {
  const startedAt = Date.now();
  const { id } = await stack.postTransfer(
    { fromAccountId: from, toAccountId: to, amount: '1' },
    { client: TEST_CLIENTS.operator },
  );
  const [row] = await stack.waitTerminal([id], 60_000);
  if (row?.status !== 'COMPLETED') throw new Error(`lone transfer ${id} ended ${row?.status}`);
  return Date.now() - startedAt;
}

/** Polls (bounded) until `probe` reaches `atLeast`; returns the value it reached. */
async function waitForProgress(
  stack: ChaosStack,
  probe: () => Promise<number>,
  atLeast: number,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value >= atLeast) return value;
    if (Date.now() > deadline)
      throw new Error(
        `no progress: ${value} < ${atLeast} after ${timeoutMs} ms\n${await stack.whereStuck()}`,
      );
    await sleep(100);
  }
}

function countAll(stack: ChaosStack, pattern: RegExp): Record<string, number> {
  return {
    transfer: stack.countLogLines('transfer', pattern),
    ledger: stack.countLogLines('ledger', pattern),
    notification: stack.countLogLines('notification', pattern),
  };
}
