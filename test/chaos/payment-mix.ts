// The payment-flow mix a fault scenario runs beside its load (issue #17), so every fault lands among
// holds, captures, voids, expiries and refunds in flight: holds captured in full or in part, voided, or
// left to expire; payments; refunds in parts of completed payments and captured holds; now and then a
// second step under another key (a capture or void of an ended hold, one unit more than refundable),
// which must be refused with the code of what came first. Every request is retried as a real client
// would: the same Idempotency-Key again on a connection error or a 5xx, and a step refused because it
// came early (a hold not yet placed, a payment not yet completed) asked again until it is accepted.
// The mix writes down what each flow must end as; `settle` checks that against the transfer database
// and the ledger once everything has come to rest. Not a test file itself (no `.spec.ts`).
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { createTransferClient, type RequestTransfer } from '@oncepay/client';
import { TEST_CLIENTS, waitFor } from '@oncepay/test-support';
import { TERMINAL_STATUSES } from '@oncepay/transfer-state-machine';
import type { ChaosStack } from './chaos-harness';

/** What the mix reads of an answer: its status and its body, the resource or the problem document. */
interface Answer {
  status: number;
  body: unknown;
}

/** A step on a transfer, by the last segment of its path. */
type Step = 'capture' | 'void' | 'refunds';

/** The Idempotency-Key header of one request, the same on every retry of it. */
type Keyed = { 'Idempotency-Key': string };

/** A hold the mix leaves to the expiry job: short enough to expire mid-scenario. */
const SHORT_HOLD_SECONDS = 2;
/** A hold the mix captures or voids: it must not expire while a step on it is retried through a fault. */
const LONG_HOLD_SECONDS = 3_600;
/** Far more than the mix can spend: every payment and hold is placed, so each flow's ending is known. */
const PAYER_FUNDS = 100_000_000n;
/** Where every transfer of the mix comes to rest once the mix stops acting. */
const AT_REST: readonly string[] = TERMINAL_STATUSES;

/** One flow per action, in turn, so that even a short run has every kind in flight. */
const FLOWS = ['capture', 'pay', 'expire', 'void', 'refund', 'capture part', 'refund'] as const;
type Flow = (typeof FLOWS)[number];

type HoldEnding = 'CAPTURED' | 'VOIDED' | 'EXPIRED';

interface HoldRecord {
  id: string;
  amount: bigint;
  ending: HoldEnding;
  /** What its capture posts (0 unless CAPTURED). */
  captured: bigint;
}

/** A completed payment or a captured hold, and how much of it the mix has asked to refund. */
interface Refundable {
  id: string;
  paid: bigint;
  refunded: bigint;
}

interface RefundRecord {
  id: string;
  of: string;
  amount: bigint;
}

export interface PaymentMixOptions {
  /** Flows running at once. */
  workers: number;
  /** The pause each worker takes between two flows: what keeps the mix cheap beside the load. */
  pauseMs?: number;
  /** How long one request is retried through a fault before the mix gives up on it. */
  requestDeadlineMs?: number;
}

/** What a run of the mix did, for the scenario's printed report. */
export interface PaymentMixSummary {
  flows: number;
  payments: number;
  holds: Record<HoldEnding, number>;
  refunds: number;
  refusedSecondSteps: number;
  setbacks: Record<string, number>;
}

export class PaymentMix {
  private payer = '';
  private payee = '';
  private flowsStarted = 0;
  private stopping = false;
  private workers: Promise<void>[] = [];
  private readonly payments: { id: string; amount: bigint }[] = [];
  private readonly holds: HoldRecord[] = [];
  private readonly refundables: Refundable[] = [];
  private readonly refunds: RefundRecord[] = [];
  private refusedSecondSteps = 0;
  /** Answers the mix did not expect (each a failure of the scenario), and flows that gave up. */
  private readonly mismatches: string[] = [];
  private readonly setbacks: Record<string, number> = {};

  constructor(
    private readonly stack: ChaosStack,
    private readonly options: PaymentMixOptions,
  ) {}

  /** Opens and funds the mix's own accounts (a payer and a payee of client `a`), then starts the workers. */
  async start(): Promise<void> {
    const treasury = await this.stack.openAccount(true);
    this.payer = await this.stack.openAccount();
    this.payee = await this.stack.openAccount();
    await this.stack.fund(treasury, this.payer, PAYER_FUNDS.toString());
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
  }

  /** Resolves once `n` flows have begun: a fault injected after it lands among them. */
  async begun(n: number): Promise<void> {
    await waitFor(
      () => Promise.resolve(this.flowsStarted),
      (started) => started >= n,
      { timeoutMs: 60_000, intervalMs: 25, what: `${n} flows of the payment mix to begin` },
    );
  }

  /** No new flows (a scenario that failed midway: its teardown ends the mix with it). */
  halt(): void {
    this.stopping = true;
  }

  /**
   * Stops the workers (each finishes its flow), waits until every transfer of the mix has come to
   * rest, and compares what the mix expects with the transfer database and the ledger. Returns what
   * does not match (empty when all does) and a summary.
   */
  async settle(timeoutMs: number): Promise<{ mismatches: string[]; summary: PaymentMixSummary }> {
    this.halt();
    await Promise.all(this.workers);
    const ids = [
      ...this.payments.map((p) => p.id),
      ...this.holds.map((h) => h.id),
      ...this.refunds.map((r) => r.id),
    ];
    const rows = await waitFor(
      () =>
        this.stack.query<{ id: string; status: string; capture: string | null; refund_of: string | null }>(
          'transfer',
          `SELECT id::text AS id, status::text AS status, capture_amount_minor::text AS capture,
                  refund_of::text AS refund_of
             FROM transfers WHERE id = ANY($1::uuid[])`,
          [ids],
        ),
      (found) => found.length === ids.length && found.every((row) => AT_REST.includes(row.status)),
      { timeoutMs, intervalMs: 250, what: `the payment mix's ${ids.length} transfers to come to rest` },
    ).catch(async (error: unknown) => {
      // The rows themselves print as [object Object]: say which transfers are not at rest, and where.
      const restless = await this.stack.query<{ id: string; status: string }>(
        'transfer',
        `SELECT id::text AS id, status::text AS status FROM transfers
          WHERE id = ANY($1::uuid[]) AND NOT (status::text = ANY($2::text[])) LIMIT 10`,
        [ids, AT_REST],
      );
      throw new Error(
        `${String(error).split('; last value')[0]}; not at rest: ${JSON.stringify(restless)}\n${await this.stack.whereStuck(ids)}`,
      );
    });
    const byId = new Map(rows.map((row) => [row.id, row]));
    const mismatch = (line: string) => this.mismatches.push(line);

    for (const payment of this.payments) {
      const row = byId.get(payment.id);
      if (row?.status !== 'COMPLETED') mismatch(`payment ${payment.id} ended ${row?.status}, not COMPLETED`);
    }
    for (const refund of this.refunds) {
      const row = byId.get(refund.id);
      if (row?.status !== 'COMPLETED' || row.refund_of !== refund.of)
        mismatch(
          `refund ${refund.id} of ${refund.of} ended ${row?.status} (of ${row?.refund_of}), not COMPLETED`,
        );
    }
    for (const hold of this.holds) {
      const row = byId.get(hold.id);
      const capture = hold.ending === 'CAPTURED' ? hold.captured.toString() : null;
      if (row?.status !== hold.ending || row.capture !== capture)
        mismatch(
          `hold ${hold.id} ended ${row?.status} (captured ${row?.capture}), expected ${hold.ending} (captured ${capture})`,
        );
    }
    await this.checkLedgerHolds(mismatch);
    await this.checkRefundTotals(mismatch);
    await this.checkBalances(mismatch);
    // Past its expiry a hold can be neither captured nor voided: a late step says so and moves nothing.
    for (const hold of this.holds.filter((h) => h.ending === 'EXPIRED'))
      await this.secondStep(hold.id, 'capture', {}, 'HOLD_EXPIRED');

    return { mismatches: [...this.mismatches], summary: this.summary() };
  }

  private summary(): PaymentMixSummary {
    const holds = { CAPTURED: 0, VOIDED: 0, EXPIRED: 0 };
    for (const hold of this.holds) holds[hold.ending] += 1;
    return {
      flows: this.flowsStarted,
      payments: this.payments.length,
      holds,
      refunds: this.refunds.length,
      refusedSecondSteps: this.refusedSecondSteps,
      setbacks: { ...this.setbacks },
    };
  }

  /** The ledger's side of every hold: exactly one ending, the one the transfer-service decided. */
  private async checkLedgerHolds(mismatch: (line: string) => void): Promise<void> {
    const rows = await this.stack.query<{
      id: string;
      status: string;
      captured: string | null;
      release: string | null;
    }>(
      'ledger',
      `SELECT transfer_id::text AS id, status::text AS status, captured_minor::text AS captured,
              release::text AS release
         FROM holds WHERE transfer_id = ANY($1::uuid[])`,
      [this.holds.map((h) => h.id)],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const expected = {
      CAPTURED: ['CAPTURED', null],
      VOIDED: ['RELEASED', 'VOID'],
      EXPIRED: ['RELEASED', 'EXPIRY'],
    };
    for (const hold of this.holds) {
      const row = byId.get(hold.id);
      const [status, release] = expected[hold.ending];
      const captured = hold.ending === 'CAPTURED' ? hold.captured.toString() : null;
      if (row === undefined || row.status !== status || row.release !== release || row.captured !== captured)
        mismatch(
          `the ledger's hold ${hold.id} is ${row?.status ?? 'missing'} (release ${row?.release}, captured ${row?.captured}), expected ${status} (release ${release}, captured ${captured})`,
        );
    }
  }

  /** Per payment, the completed refunds are exactly those the mix had accepted, and never above it. */
  private async checkRefundTotals(mismatch: (line: string) => void): Promise<void> {
    const rows = await this.stack.query<{ of: string; total: string }>(
      'transfer',
      `SELECT refund_of::text AS of, sum(amount_minor)::text AS total
         FROM transfers WHERE refund_of = ANY($1::uuid[]) AND status = 'COMPLETED' GROUP BY refund_of`,
      [this.refundables.map((r) => r.id)],
    );
    const totals = new Map(rows.map((row) => [row.of, BigInt(row.total)]));
    for (const payment of this.refundables) {
      const total = totals.get(payment.id) ?? 0n;
      if (total > payment.paid) mismatch(`payment ${payment.id} of ${payment.paid} refunded ${total}`);
      if (total !== payment.refunded)
        mismatch(
          `payment ${payment.id}: refunds completed ${total}, the mix was granted ${payment.refunded}`,
        );
    }
  }

  /** Exact arithmetic: funded - captured - paid + refunded, and nothing held once every hold ended. */
  private async checkBalances(mismatch: (line: string) => void): Promise<void> {
    const sum = (amounts: bigint[]) => amounts.reduce((a, b) => a + b, 0n);
    const moved =
      sum(this.payments.map((p) => p.amount)) +
      sum(this.holds.map((h) => h.captured)) -
      sum(this.refunds.map((r) => r.amount));
    const expected = new Map([
      [this.payer, PAYER_FUNDS - moved],
      [this.payee, moved],
    ]);
    const rows = await this.stack.query<{ id: string; balance: string; held: string }>(
      'ledger',
      `SELECT id::text AS id, balance_minor::text AS balance, held_minor::text AS held
         FROM accounts WHERE id = ANY($1::uuid[])`,
      [[this.payer, this.payee]],
    );
    for (const [id, balance] of expected) {
      const row = rows.find((r) => r.id === id);
      const name = id === this.payer ? 'payer' : 'payee';
      if (row?.balance !== balance.toString() || row.held !== '0')
        mismatch(
          `the mix's ${name} ${id} has balance ${row?.balance} held ${row?.held}, expected balance ${balance} held 0`,
        );
    }
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      const n = this.flowsStarted++;
      const flow = FLOWS[n % FLOWS.length]!;
      try {
        await this.run(flow, n);
      } catch (error) {
        this.mismatches.push(`flow ${n} (${flow}) gave up: ${String(error)}`);
        return;
      }
      await sleep(this.options.pauseMs ?? 50);
    }
  }

  private async run(flow: Flow, n: number): Promise<void> {
    // Amounts vary, so a flow posted twice or one mixed up with another shows in the sums.
    const amount = 100n + BigInt(n % 13) * 7n;
    // Every other flow that can takes a second step under another key.
    const secondStep = n % 2 === 0;
    switch (flow) {
      case 'pay':
        return this.pay(amount);
      case 'expire': {
        const id = await this.hold(amount, SHORT_HOLD_SECONDS);
        this.holds.push({ id, amount, ending: 'EXPIRED', captured: 0n });
        return;
      }
      case 'capture':
      case 'capture part': {
        const id = await this.hold(amount, LONG_HOLD_SECONDS);
        const captured = flow === 'capture' ? amount : amount / 3n;
        const body = flow === 'capture' ? {} : { amount: captured.toString() };
        await this.firstStep(id, 'capture', body, {
          status: 'CAPTURING',
          capturedAmount: captured.toString(),
        });
        this.holds.push({ id, amount, ending: 'CAPTURED', captured });
        this.refundables.push({ id, paid: captured, refunded: 0n });
        if (secondStep)
          await this.secondStep(id, flow === 'capture' ? 'void' : 'capture', {}, 'HOLD_CAPTURED');
        return;
      }
      case 'void': {
        const id = await this.hold(amount, LONG_HOLD_SECONDS);
        await this.firstStep(id, 'void', {}, { status: 'VOIDING' });
        this.holds.push({ id, amount, ending: 'VOIDED', captured: 0n });
        if (secondStep) await this.secondStep(id, 'capture', {}, 'HOLD_VOIDED');
        return;
      }
      case 'refund':
        return this.refund(secondStep, amount);
    }
  }

  private async pay(amount: bigint): Promise<void> {
    const response = await this.send('POST /v1/transfers', (transfers, header) =>
      transfers.POST('/v1/transfers', { params: { header }, body: this.transferBody(amount) }),
    );
    const { id } = this.expectAccepted('payment', response, { kind: 'PAYMENT' });
    this.payments.push({ id, amount });
    this.refundables.push({ id, paid: amount, refunded: 0n });
  }

  private async hold(amount: bigint, expiresInSeconds: number): Promise<string> {
    const response = await this.send('POST /v1/transfers', (transfers, header) =>
      transfers.POST('/v1/transfers', {
        params: { header },
        body: { ...this.transferBody(amount), hold: { expiresInSeconds } },
      }),
    );
    return this.expectAccepted('hold', response, { kind: 'HOLD' }).id;
  }

  /**
   * A part of what is left of a payment or captured hold (or all of it, every other time); the
   * amount is set aside before the request, so concurrent flows never ask for more than was paid.
   * Without anything left to refund, a payment instead.
   */
  private async refund(secondStep: boolean, fallback: bigint): Promise<void> {
    const payment = this.refundables.find((r) => r.paid > r.refunded);
    if (!payment) return this.pay(fallback);
    const left = payment.paid - payment.refunded;
    const amount = secondStep || left < 2n ? left : left / 2n;
    payment.refunded += amount;
    const response = await this.sendStep(payment.id, 'refunds', { amount: amount.toString() }, [
      'NOT_REFUNDABLE',
    ]);
    try {
      const { id } = this.expectAccepted('refund', response, { kind: 'REFUND', refundOf: payment.id });
      this.refunds.push({ id, of: payment.id, amount });
    } catch (error) {
      payment.refunded -= amount;
      throw error;
    }
    if (secondStep && payment.refunded === payment.paid)
      await this.secondStep(payment.id, 'refunds', { amount: '1' }, 'REFUND_EXCEEDS_PAYMENT');
  }

  /** A capture or void of a hold of the mix's: accepted once the hold is placed. */
  private async firstStep(
    id: string,
    step: 'capture' | 'void',
    body: { amount?: string },
    expected: Record<string, string>,
  ): Promise<void> {
    const response = await this.sendStep(id, step, body, ['HOLD_NOT_PLACED']);
    this.expectAccepted(`${step} of ${id}`, response, expected);
  }

  /** A step under a new key on what already ended (or is ending) one way: refused with `code`. */
  private async secondStep(id: string, step: Step, body: { amount?: string }, code: string): Promise<void> {
    const response = await this.sendStep(id, step, body);
    const got = (response.body as { code?: string } | null)?.code;
    if (response.status === 409 && got === code) this.refusedSecondSteps += 1;
    else
      this.mismatches.push(
        `a second ${step} of ${id} answered ${response.status} ${got ?? JSON.stringify(response.body)}, not 409 ${code}`,
      );
  }

  private transferBody(amount: bigint): RequestTransfer {
    return { fromAccountId: this.payer, toAccountId: this.payee, amount: amount.toString(), currency: 'EUR' };
  }

  /** A 202 whose body has the `expected` members; anything else throws (the flow gives up, the scenario fails). */
  private expectAccepted(what: string, response: Answer, expected: Record<string, string>): { id: string } {
    const body = response.body as Record<string, unknown> | null;
    const differs = Object.entries(expected).filter(([name, value]) => body?.[name] !== value);
    if (response.status !== 202 || differs.length > 0)
      throw new Error(
        `${what} answered ${response.status} ${JSON.stringify(body)}, expected 202 with ${JSON.stringify(expected)}`,
      );
    return { id: body!.id as string };
  }

  /** POSTs a step (a capture, a void or a refund) of transfer `id` as `send` does. */
  private sendStep(
    id: string,
    step: Step,
    body: { amount?: string },
    notYet: string[] = [],
  ): Promise<Answer> {
    return this.send(
      `POST /v1/transfers/${id}/${step}`,
      (transfers, header) => {
        const params = { path: { id }, header };
        switch (step) {
          case 'capture':
            return transfers.POST('/v1/transfers/{id}/capture', { params, body });
          case 'void':
            return transfers.POST('/v1/transfers/{id}/void', { params, body: {} });
          case 'refunds':
            return transfers.POST('/v1/transfers/{id}/refunds', { params, body });
        }
      },
      notYet,
    );
  }

  /**
   * POST as a real client of `a`: the same Idempotency-Key again after a connection error or a 5xx,
   * and after a 409 whose code is in `notYet` (the step came early); any other answer is returned.
   */
  private async send(
    what: string,
    post: (
      transfers: ReturnType<typeof createTransferClient>,
      header: Keyed,
    ) => Promise<{ data?: unknown; error?: unknown; response: Response }>,
    notYet: string[] = [],
  ): Promise<Answer> {
    const key = randomUUID();
    const deadline = Date.now() + (this.options.requestDeadlineMs ?? 90_000);
    let last = '';
    while (Date.now() < deadline) {
      let setback: string;
      try {
        // The service's URL is looked up on every attempt: while a fault has it down, that is a setback too.
        const transfers = createTransferClient(this.stack.url('transfer'), TEST_CLIENTS.a);
        const { data, error, response } = await post(transfers, { 'Idempotency-Key': key });
        const answer = { status: response.status, body: data ?? error ?? null };
        const code = (answer.body as { code?: string } | null)?.code;
        const early = answer.status === 409 && code !== undefined && notYet.includes(code);
        if (answer.status < 500 && !early) return answer;
        setback = early ? `409 ${code}` : `HTTP ${answer.status}`;
        last = `${setback} ${JSON.stringify(answer.body)}`;
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        setback = `connection error${code ? ` ${code}` : ''}`;
        last = String(error);
      }
      this.setbacks[setback] = (this.setbacks[setback] ?? 0) + 1;
      await sleep(250);
    }
    throw new Error(`${what} with key ${key} got no final answer in time: ${last}`);
  }
}
