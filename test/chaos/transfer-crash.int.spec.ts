// Fault injection: the transfer-service (the HTTP front door, its outbox relay and its ledger-results
// consumer) is killed with SIGKILL while 60 concurrent transfer requests arrive (times CHAOS_SCALE), and
// restarted on the same database and port, once per round (CHAOS_ROUNDS). Requests cut off mid-way fail with connection errors; the clients retry them
// with the same Idempotency-Key, as a real client would. Beside the load runs the payment mix (holds
// captured, voided and expiring, refunds, second steps: payment-mix.ts), so each kill also cuts hold
// steps, the expiry job and refunds mid-way. No request may create two transfers, none may be lost,
// every hold must end exactly as decided, and the auditor must be clean.
import { setTimeout as sleep } from 'node:timers/promises';
import { createTransferClient, type Transfer } from '@oncepay/client';
import { TEST_CLIENTS } from '@oncepay/test-support';
import { CHAOS, ChaosStack, tally } from './chaos-harness';

const AMOUNT = 100n;
/** Enough for 40 transfers per unit of scale: some of the requests must fail. */
const FUNDED = 4_000n * BigInt(CHAOS.scale);
const REQUESTS = 60 * CHAOS.scale;

describe('chaos: kill -9 of the transfer-service mid-load', () => {
  const stack = new ChaosStack();

  beforeAll(() => stack.boot(), 90_000);
  afterAll(() => stack.teardown(), 60_000);

  it(
    'creates exactly one transfer per idempotency key across the crash and the auditor finds nothing',
    async () => {
      const treasury = await stack.openAccount(true);
      const source = await stack.openAccount();
      const sink = await stack.openAccount();
      await stack.fund(treasury, source, FUNDED.toString());
      const body = { fromAccountId: source, toAccountId: sink, amount: AMOUNT.toString() };
      // The mix first, until a few of its flows are done and the rest under way, so the kills cut both.
      const mix = await stack.startMix({ workers: CHAOS.mixWorkers });
      await mix.begun(CHAOS.mixWorkers + 2);

      // Requests trickle in (one every 20 ms), so some arrive before, during and after the crash.
      const posted = Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          await sleep(i * 20);
          return stack.postTransfer(body, { deadlineMs: CHAOS.timeoutMs(90_000) });
        }),
      );
      const accepted = () =>
        stack.count('transfer', `SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1::uuid`, [
          source,
        ]);
      // One crash per round, spread over the load: after a quarter of the requests when there is one round.
      const acceptedAtKills: number[] = [];
      for (let round = 1; round <= CHAOS.rounds; round++) {
        const threshold = Math.ceil((REQUESTS * round) / (CHAOS.rounds + 3));
        const deadline = Date.now() + 30_000;
        while ((await accepted()) < threshold && Date.now() < deadline) await sleep(10);
        acceptedAtKills.push(await accepted());
        await stack.crashAndRestart('transfer');
      }
      const results = await posted;

      let replays: { data?: Transfer; response: Response }[] = [];
      let inDatabase = 0;
      await stack.settleAndAudit({
        scenario: `transfer-service kill -9 x${CHAOS.rounds}`,
        ids: results.map((r) => r.id),
        terminalTimeoutMs: CHAOS.timeoutMs(90_000),
        notifiedTimeoutMs: CHAOS.timeoutMs(30_000),
        money: { source, sink, funded: FUNDED, amount: AMOUNT },
        mix,
        beforeAudit: async () => {
          // Every key once more, after the fact: the stored answer comes back, nothing new is created.
          const transfers = createTransferClient(stack.url('transfer'), TEST_CLIENTS.a);
          replays = await Promise.all(
            results.map((r) =>
              transfers.POST('/v1/transfers', {
                params: { header: { 'Idempotency-Key': r.key } },
                body: { ...body, currency: 'EUR' },
              }),
            ),
          );
          inDatabase = await accepted();
        },
        observed: ({ rows, completed }) => ({
          requests: REQUESTS,
          acceptedAtKills,
          retried: results.filter((r) => r.attempts > 1).length,
          maxAttempts: Math.max(...results.map((r) => r.attempts)),
          setbacks: tally(results),
          transfersInDatabase: inDatabase,
          completed,
          failed: rows.length - completed,
        }),
      });

      expect(new Set(results.map((r) => r.key)).size).toBe(REQUESTS);
      expect(new Set(results.map((r) => r.id)).size).toBe(REQUESTS);
      expect(inDatabase).toBe(REQUESTS);
      expect(replays.map((r) => [r.response.status, r.response.headers.get('idempotent-replayed')])).toEqual(
        results.map(() => [202, 'true']),
      );
      expect(replays.map((r) => r.data?.id)).toEqual(results.map((r) => r.id));
    },
    CHAOS.timeoutMs(180_000),
  );
});
