// Fault injection: the Kafka broker itself goes away while transfers are in flight. Each round kills
// the broker's JVM with SIGKILL (no controlled shutdown: a crash), keeps it down a few seconds, starts
// it again on the same data dir and ports, waits until transfers move again, then does the same with
// a graceful stop (SIGTERM, Kafka's controlled shutdown). Requests keep arriving the whole time: the
// transfer-service accepts them into its outbox while no broker answers, the relays and consumers of
// all three services must find the broker again on their own. The scenario runs on a broker of its
// own (the test run's broker is shared by every test file). Ends with every transfer terminal, exact
// balances and the auditor clean.
// A known way for it to fail: an outbox stuck on "The broker received an out of order sequence number"
// is kafkajs' idempotent producer, which never takes a new producer id after a send whose outcome it
// could not know (kafkajs #598: "until the producer is restarted"); IdempotentProducer must renew it.
import { setTimeout as sleep } from 'node:timers/promises';
import { CHAOS, ChaosStack, tally, type PostedTransfer } from './chaos-harness';
import { RestartableKafka } from './dedicated-infra';

const AMOUNT = 100n;
/** Enough for 40 transfers per unit of scale; more than that are posted, so some must fail. */
const FUNDED = 4_000n * BigInt(CHAOS.scale);
/** At least this many transfers are posted; more while the faults are still being injected. */
const MIN_REQUESTS = 60 * CHAOS.scale;
/** One request every PACE_MS, from before the first fault to after the last restart. */
const PACE_MS = Math.max(25, Math.round(300 / CHAOS.scale));
const DOWN_MS = 5_000;
/** How long transfers may stay still after the broker is back before the scenario gives up. */
const RECOVERY_TIMEOUT_MS = 90_000;

interface Fault {
  kind: 'kill -9' | 'graceful stop';
  at: number;
  decidedAtStop: number;
  stopMs: number;
  acceptedWhileDown: number;
  restartMs: number;
  /** From the broker answering again to the ledger deciding the next transfers. */
  recoveredAfterMs: number;
}

describe('chaos: Kafka broker restarts (kill -9 and graceful) mid-load', () => {
  let kafka: RestartableKafka;
  let stack: ChaosStack;

  beforeAll(async () => {
    kafka = await RestartableKafka.start();
    stack = new ChaosStack({ kafkaBrokers: kafka.brokers });
    stack.injected.push(`own broker ${kafka.brokers.join(',')} (log ${kafka.logFile})`);
    await stack.boot();
  }, 180_000);
  afterAll(async () => {
    await stack?.teardown();
    await kafka?.close();
  }, 90_000);

  it(
    'settles every transfer exactly once across broker restarts and the auditor finds nothing',
    async () => {
      const treasury = await stack.openAccount(true);
      const source = await stack.openAccount();
      const sink = await stack.openAccount();
      await stack.fund(treasury, source, FUNDED.toString());
      const decisions = () => stack.count('ledger', `SELECT count(*)::int AS n FROM ledger_decisions`);
      const decidedBefore = await decisions();
      // Decisions on the load.
      const decided = async () => (await decisions()) - decidedBefore;
      const notified = () => stack.count('notification', `SELECT count(*)::int AS n FROM notifications`);
      const accepted = () =>
        stack.count('transfer', `SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1::uuid`, [
          source,
        ]);

      // The load: one request every PACE_MS until the faults are over and MIN_REQUESTS were sent.
      let faultsOver = false;
      const inFlight: Promise<PostedTransfer>[] = [];
      const load = (async () => {
        while (!faultsOver || inFlight.length < MIN_REQUESTS) {
          const posting = stack.postTransfer(
            { fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() },
            { deadlineMs: 120_000 },
          );
          // Handled here too: a scenario that fails early must not leave rejections unhandled.
          posting.catch(() => undefined);
          inFlight.push(posting);
          await sleep(PACE_MS);
        }
      })();

      // One fault: stop the broker, keep it down, start it again, wait until transfers move again.
      async function restartBroker(kind: Fault['kind']): Promise<Fault> {
        const at = stack.elapsed();
        const decidedAtStop = await decided();
        const acceptedAtStop = await accepted();
        const { ms: stopMs } = kind === 'kill -9' ? await kafka.kill() : await kafka.stop();
        stack.injected.push(`broker ${kind} at +${at} ms (${decidedAtStop} decided, stop took ${stopMs} ms)`);
        await sleep(DOWN_MS);
        const { ms: restartMs } = await kafka.start();
        const acceptedWhileDown = (await accepted()) - acceptedAtStop;
        stack.injected.push(
          `broker started again at +${stack.elapsed()} ms (down ${DOWN_MS + restartMs} ms, ` +
            `${acceptedWhileDown} transfers accepted meanwhile)`,
        );
        // Transfers must move again: the relays publish what piled up, the consumers fetch again; the
        // notifications too, so a notification-service that stopped fetching is caught at its fault.
        const backAt = Date.now();
        const [before, notifiedBefore] = [await decided(), await notified()];
        await waitForProgress(stack, decided, before + 3, RECOVERY_TIMEOUT_MS);
        await waitForProgress(stack, notified, notifiedBefore + 1, RECOVERY_TIMEOUT_MS, 'notification');
        return {
          kind,
          at,
          decidedAtStop,
          stopMs,
          acceptedWhileDown,
          restartMs,
          recoveredAfterMs: Date.now() - backAt,
        };
      }

      const faults: Fault[] = [];
      try {
        await waitForProgress(stack, decided, 5, 30_000);
        for (let round = 1; round <= CHAOS.rounds; round++) {
          for (const kind of ['kill -9', 'graceful stop'] as const) {
            faults.push(await restartBroker(kind));
          }
        }
      } finally {
        faultsOver = true;
        await load;
      }
      const posted = await Promise.all(inFlight);

      let outboxAttempts = {};
      const { failed } = await stack.settleAndAudit({
        scenario: 'Kafka broker restarts (kill -9 and graceful stop)',
        ids: posted.map((p) => p.id),
        terminalTimeoutMs: CHAOS.timeoutMs(120_000),
        notifiedTimeoutMs: CHAOS.timeoutMs(60_000),
        money: { source, sink, funded: FUNDED, amount: AMOUNT },
        beforeAudit: async () => {
          outboxAttempts = {
            transfer: await maxOutboxAttempts(stack, 'transfer'),
            ledger: await maxOutboxAttempts(stack, 'ledger'),
          };
        },
        observed: ({ completed, failed }) => ({
          transfers: posted.length,
          faults,
          clientSetbacks: tally(posted),
          completed,
          failed: failed.length,
          maxOutboxAttempts: outboxAttempts,
          logs: {
            outboxPublishFailed: countAll(stack, /outbox publish failed/),
            relayPassFailed: countAll(stack, /outbox relay pass failed/),
            consumerCrashes: countAll(stack, /Crash: /),
            consumerRestarts: countAll(stack, /Restarting the consumer/),
            handedBackToKafkajs: countAll(stack, /handing back to kafkajs/),
            deadLettered: countAll(stack, /message dead-lettered/),
          },
        }),
      });

      expect(stack.unexpectedExits).toEqual([]);
      expect(new Set(posted.map((p) => p.id)).size).toBe(posted.length);
      expect(posted.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
      // The faults hit the pipeline: transfers were accepted while no broker could carry them on.
      expect(faults.every((fault) => fault.acceptedWhileDown > 0)).toBe(true);
      expect(failed.every((row) => row.failure_reason === 'INSUFFICIENT_FUNDS')).toBe(true);
    },
    CHAOS.timeoutMs(420_000),
  );
});

/**
 * Polls (bounded) until `probe` reaches `atLeast`; returns the value it reached. On a timeout it says
 * where transfers stuck and, when `service` is given, what that service's instances say of themselves.
 */
async function waitForProgress(
  stack: ChaosStack,
  probe: () => Promise<number>,
  atLeast: number,
  timeoutMs: number,
  service?: 'notification',
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value >= atLeast) return value;
    if (Date.now() > deadline)
      throw new Error(
        `no progress: ${value} < ${atLeast} after ${timeoutMs} ms\n${await stack.whereStuck()}` +
          (service ? `\n${await stack.describeInstances(service)}` : ''),
      );
    await sleep(100);
  }
}

/** The most publish attempts any outbox row needed: how far the relay's backoff went. */
async function maxOutboxAttempts(stack: ChaosStack, name: 'transfer' | 'ledger'): Promise<number> {
  return stack.count(name, `SELECT coalesce(max(attempts), 0)::int AS n FROM outbox_messages`);
}

function countAll(stack: ChaosStack, pattern: RegExp): Record<string, number> {
  return {
    transfer: stack.countLogLines('transfer', pattern),
    ledger: stack.countLogLines('ledger', pattern),
    notification: stack.countLogLines('notification', pattern),
  };
}
