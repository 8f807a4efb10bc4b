// Proves, on a real ledger database, that holds and refunds move money exactly once: a hold lowers the
// available balance and not the posted one, and a payment that only fits the posted balance is refused;
// a capture posts exactly what it captures and frees the whole hold, a release frees it all; a step
// delivered again (same event id, or a new one for the same step) moves nothing twice; a capture after
// a release is refused with nothing written; and the refunds of a payment reach it but never pass it,
// also when two of them arrive in one batch, while another client's account cannot be refunded from.
import {
  createEvent,
  decodeEvent,
  type CaptureRequested,
  type OncePayEvent,
  type Release,
  type ReleaseRequested,
  type TransferRequested,
} from '@oncepay/contracts';
import { Logger } from '@nestjs/common';
import {
  createPgDatabase,
  createPrismaClient,
  createTestDatabase,
  deadLetterOf,
  TEST_CLIENTS,
  transferRequested,
  type TestDatabase,
  type TransferRequestFacts,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { LedgerDatabase } from '../../database';
import {
  HoldStepRefusedError,
  POST_TRANSFER_CONSUMER,
  PostTransferHandler,
  type PostTransferResult,
} from './post-transfer.handler';

const CLIENT_A = TEST_CLIENTS.a.id;
const CLIENT_B = TEST_CLIENTS.b.id;
const EXPIRES_AT = new Date(Date.UTC(2030, 0, 1)).toISOString();

/** A hold request: a TransferRequested with holdExpiresAt. */
function holdRequested(facts: TransferRequestFacts): TransferRequested {
  const request = transferRequested(facts);
  return { ...request, payload: { ...request.payload, holdExpiresAt: EXPIRES_AT } };
}

/** A refund of `paymentId`: a TransferRequested with refundOf. */
function refundRequested(facts: TransferRequestFacts, paymentId: string): TransferRequested {
  const request = transferRequested(facts);
  return { ...request, payload: { ...request.payload, refundOf: paymentId } };
}

/** transfer-service's step 3 of a hold, as its outbox would publish it. */
function captureRequested(
  hold: TransferRequested,
  amountMinor: bigint,
  eventId: string = randomUUID(),
): CaptureRequested {
  return createEvent(
    'CaptureRequested',
    { ...hold.payload, holdExpiresAt: EXPIRES_AT, captureAmountMinor: amountMinor },
    stepMeta(hold, eventId),
  );
}

function releaseRequested(
  hold: TransferRequested,
  release: Release,
  eventId: string = randomUUID(),
): ReleaseRequested {
  return createEvent(
    'ReleaseRequested',
    { ...hold.payload, holdExpiresAt: EXPIRES_AT, release },
    stepMeta(hold, eventId),
  );
}

function stepMeta(hold: TransferRequested, id: string) {
  return {
    id,
    occurredAt: new Date(),
    producer: 'transfer-service',
    sequence: 3,
    correlationId: hold.correlationId,
    causationId: null,
  };
}

describe('holds and refunds in the ledger', () => {
  let database: TestDatabase;
  let prisma: LedgerDatabase;
  let pg: ReturnType<typeof createPgDatabase>;
  let handler: PostTransferHandler;
  let treasury: string;

  beforeAll(async () => {
    Logger.overrideLogger(['warn', 'error']);
    database = await createTestDatabase('ledger');
    prisma = createPrismaClient('ledger', database.url);
    pg = createPgDatabase(database.url);
    handler = new PostTransferHandler(pg.db);
    treasury = await openAccount({ owner: CLIENT_A, allowNegativeBalance: true });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await pg.end();
    await database.drop();
  });

  async function openAccount(
    options: { owner?: string; allowNegativeBalance?: boolean } = {},
  ): Promise<string> {
    const account = await prisma.account.create({
      data: {
        id: randomUUID(),
        ownerClientId: options.owner ?? CLIENT_A,
        currency: 'EUR',
        allowNegativeBalance: options.allowNegativeBalance ?? false,
      },
    });
    return account.id;
  }

  async function fundedAccount(balanceMinor: bigint, owner: string = CLIENT_A): Promise<string> {
    const id = await openAccount({ owner });
    const funding = await handler.execute(
      transferRequested({
        clientId: CLIENT_A,
        fromAccountId: treasury,
        toAccountId: id,
        amountMinor: balanceMinor,
      }),
    );
    expect(funding.outcome).toBe('posted');
    return id;
  }

  /** Posted balance, held amount and available balance of the account, from its row. */
  async function amountsOf(accountId: string) {
    const row = await prisma.account.findUniqueOrThrow({ where: { id: accountId } });
    return { balance: row.balanceMinor, held: row.heldMinor, available: row.balanceMinor - row.heldMinor };
  }

  async function entriesOf(transferId: string) {
    return prisma.journalEntry.findMany({ where: { transferId }, orderBy: { id: 'asc' } });
  }

  async function answersFor(transferId: string): Promise<OncePayEvent[]> {
    const rows = await prisma.outboxMessage.findMany({
      where: { key: transferId },
      orderBy: { position: 'asc' },
    });
    return rows.map((row) => {
      const decoded = decodeEvent(row.value);
      if (!decoded.ok) throw new Error(`outbox row ${row.id} does not decode: ${decoded.reason}`);
      return decoded.event;
    });
  }

  async function sumOfAllBalances(): Promise<bigint> {
    const { _sum } = await prisma.account.aggregate({ _sum: { balanceMinor: true } });
    return _sum.balanceMinor ?? 0n;
  }

  /** Client A holds `amountMinor` of a fresh account funded with `fundedMinor`, for a fresh account of B. */
  async function placedHold(fundedMinor: bigint, amountMinor: bigint) {
    const from = await fundedAccount(fundedMinor);
    const to = await openAccount({ owner: CLIENT_B });
    const hold = holdRequested({ clientId: CLIENT_A, fromAccountId: from, toAccountId: to, amountMinor });
    await expect(handler.execute(hold)).resolves.toMatchObject({ outcome: 'held' });
    return { from, to, hold, transferId: hold.aggregateId };
  }

  describe('holds', () => {
    it('lowers the available balance, not the posted one, and answers HoldPlaced with no entry', async () => {
      const { from, hold, transferId } = await placedHold(10_000n, 4_000n);

      await expect(amountsOf(from)).resolves.toEqual({ balance: 10_000n, held: 4_000n, available: 6_000n });
      await expect(entriesOf(transferId)).resolves.toEqual([]);
      await expect(prisma.ledgerDecision.findUniqueOrThrow({ where: { transferId } })).resolves.toMatchObject(
        {
          outcome: 'HELD',
          reason: null,
          refundOf: null,
        },
      );
      await expect(prisma.hold.findUniqueOrThrow({ where: { transferId } })).resolves.toMatchObject({
        accountId: from,
        amountMinor: 4_000n,
        status: 'ACTIVE',
        expiresAt: new Date(EXPIRES_AT),
        capturedMinor: null,
        settledAt: null,
      });
      await expect(answersFor(transferId)).resolves.toEqual([
        expect.objectContaining({
          type: 'HoldPlaced',
          sequence: 2,
          causationId: hold.id,
          payload: { ...hold.payload, heldAt: expect.any(String) },
        }),
      ]);
    });

    it('refuses a payment, and a second hold, that only fit the posted balance', async () => {
      const { from, to } = await placedHold(10_000n, 4_000n);
      const pay = (amountMinor: bigint) =>
        handler.execute(
          transferRequested({ clientId: CLIENT_A, fromAccountId: from, toAccountId: to, amountMinor }),
        );
      const secondHold = holdRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 6_001n,
      });

      await expect(pay(6_001n)).resolves.toMatchObject({ outcome: 'rejected', reason: 'INSUFFICIENT_FUNDS' });
      await expect(handler.execute(secondHold)).resolves.toMatchObject({
        outcome: 'rejected',
        reason: 'INSUFFICIENT_FUNDS',
      });
      await expect(answersFor(secondHold.aggregateId)).resolves.toEqual([
        expect.objectContaining({
          type: 'TransferRejected',
          payload: { ...secondHold.payload, reason: 'INSUFFICIENT_FUNDS' },
        }),
      ]);
      await expect(pay(6_000n)).resolves.toMatchObject({ outcome: 'posted' });
      await expect(amountsOf(from)).resolves.toEqual({ balance: 4_000n, held: 4_000n, available: 0n });
    });

    it('captures in part: posts exactly the capture under the hold and frees the rest', async () => {
      const { from, to, hold, transferId } = await placedHold(10_000n, 4_000n);
      const capture = captureRequested(hold, 2_500n);

      await expect(handler.execute(capture)).resolves.toMatchObject({ outcome: 'captured' });

      await expect(amountsOf(from)).resolves.toEqual({ balance: 7_500n, held: 0n, available: 7_500n });
      await expect(amountsOf(to)).resolves.toMatchObject({ balance: 2_500n, held: 0n });
      await expect(entriesOf(transferId)).resolves.toEqual([
        expect.objectContaining({ accountId: from, direction: 'DEBIT', amountMinor: 2_500n }),
        expect.objectContaining({ accountId: to, direction: 'CREDIT', amountMinor: 2_500n }),
      ]);
      await expect(prisma.hold.findUniqueOrThrow({ where: { transferId } })).resolves.toMatchObject({
        status: 'CAPTURED',
        capturedMinor: 2_500n,
        release: null,
        settledAt: expect.any(Date),
      });
      const answers = await answersFor(transferId);
      expect(answers.map((answer) => answer.type)).toEqual(['HoldPlaced', 'HoldCaptured']);
      expect(answers[1]).toMatchObject({
        sequence: 4,
        causationId: capture.id,
        payload: { ...capture.payload, postedAt: expect.any(String) },
      });
      await expect(sumOfAllBalances()).resolves.toBe(0n);
    });

    it('releases: frees the whole hold and posts nothing', async () => {
      const { from, hold, transferId } = await placedHold(10_000n, 4_000n);
      const release = releaseRequested(hold, 'EXPIRY');

      await expect(handler.execute(release)).resolves.toMatchObject({ outcome: 'released' });

      await expect(amountsOf(from)).resolves.toEqual({ balance: 10_000n, held: 0n, available: 10_000n });
      await expect(entriesOf(transferId)).resolves.toEqual([]);
      await expect(prisma.hold.findUniqueOrThrow({ where: { transferId } })).resolves.toMatchObject({
        status: 'RELEASED',
        release: 'EXPIRY',
        capturedMinor: null,
      });
      const answers = await answersFor(transferId);
      expect(answers.map((answer) => answer.type)).toEqual(['HoldPlaced', 'HoldReleased']);
      expect(answers[1]).toMatchObject({
        sequence: 4,
        payload: { release: 'EXPIRY', releasedAt: expect.any(String) },
      });
    });

    it.each<[string, (hold: TransferRequested, eventId?: string) => CaptureRequested | ReleaseRequested]>([
      ['capture', (hold, eventId) => captureRequested(hold, 1_000n, eventId)],
      ['release', (hold, eventId) => releaseRequested(hold, 'VOID', eventId)],
    ])('moves nothing twice for a %s delivered again, under its event id or a new one', async (_, stepOf) => {
      const { from, hold, transferId } = await placedHold(10_000n, 4_000n);
      const step = stepOf(hold);

      const results = [
        await handler.execute(step),
        await handler.execute(step),
        await handler.execute(stepOf(hold, randomUUID())),
      ];

      expect(results.map((result) => result.outcome)).toEqual([
        step.type === 'CaptureRequested' ? 'captured' : 'released',
        'duplicate_event',
        'already_settled',
      ]);
      const after = step.type === 'CaptureRequested' ? 9_000n : 10_000n;
      await expect(amountsOf(from)).resolves.toEqual({ balance: after, held: 0n, available: after });
      await expect(entriesOf(transferId)).resolves.toHaveLength(step.type === 'CaptureRequested' ? 2 : 0);
      await expect(answersFor(transferId)).resolves.toHaveLength(2);
    });

    it('captures once among concurrent captures of one hold under different event ids', async () => {
      const { from, hold, transferId } = await placedHold(10_000n, 4_000n);

      const results = await Promise.all(
        Array.from({ length: 8 }, () => handler.execute(captureRequested(hold, 3_000n))),
      );

      expect(countOutcomes(results)).toEqual({ captured: 1, already_settled: 7 });
      await expect(amountsOf(from)).resolves.toEqual({ balance: 7_000n, held: 0n, available: 7_000n });
      await expect(entriesOf(transferId)).resolves.toHaveLength(2);
    });

    it('refuses a capture after a release, and a release after a capture: nothing written, not even the dedup record', async () => {
      const released = await placedHold(10_000n, 4_000n);
      await handler.execute(releaseRequested(released.hold, 'VOID'));
      const captured = await placedHold(10_000n, 4_000n);
      await handler.execute(captureRequested(captured.hold, 4_000n));
      const lateCapture = captureRequested(released.hold, 4_000n);
      const lateRelease = releaseRequested(captured.hold, 'EXPIRY');

      await expect(handler.execute(lateCapture)).rejects.toThrow(HoldStepRefusedError);
      await expect(handler.execute(lateRelease)).rejects.toMatchObject({ reason: 'HOLD_CAPTURED' });
      await expect(handler.execute(lateCapture)).rejects.toMatchObject({ reason: 'HOLD_RELEASED' });

      await expect(amountsOf(released.from)).resolves.toEqual({
        balance: 10_000n,
        held: 0n,
        available: 10_000n,
      });
      await expect(amountsOf(captured.from)).resolves.toEqual({
        balance: 6_000n,
        held: 0n,
        available: 6_000n,
      });
      await expect(entriesOf(released.transferId)).resolves.toEqual([]);
      await expect(answersFor(released.transferId)).resolves.toHaveLength(2);
      await expect(answersFor(captured.transferId)).resolves.toHaveLength(2);
      await expect(
        prisma.processedMessage.count({
          where: { consumer: POST_TRANSFER_CONSUMER, messageId: { in: [lateCapture.id, lateRelease.id] } },
        }),
      ).resolves.toBe(0);
    });

    it('refuses a capture of a hold that was never placed, and one naming other accounts', async () => {
      const from = await fundedAccount(1_000n);
      const to = await openAccount();
      const neverPlaced = holdRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 500n,
      });
      const { hold } = await placedHold(1_000n, 500n);
      const elsewhere = { ...hold, payload: { ...hold.payload, toAccountId: to } };

      await expect(handler.execute(captureRequested(neverPlaced, 500n))).rejects.toMatchObject({
        reason: 'HOLD_NOT_FOUND',
      });
      await expect(handler.execute(captureRequested(elsewhere, 500n))).rejects.toMatchObject({
        reason: 'HOLD_FACTS_DIFFER',
      });
      await expect(amountsOf(to)).resolves.toMatchObject({ balance: 0n });
    });

    it('decides a batch in order: a hold placed, captured, and a payment after it, in one transaction', async () => {
      const from = await fundedAccount(5_000n);
      const to = await openAccount({ owner: CLIENT_B });
      const hold = holdRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 4_000n,
      });
      // Fits only once the capture has freed the 1000 it did not take.
      const pay = transferRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 2_000n,
      });
      const tooMuch = transferRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 1_001n,
      });

      const results = await handler.executeBatch([hold, tooMuch, captureRequested(hold, 3_000n), pay]);

      expect(results.map((r) => r.outcome)).toEqual(['held', 'rejected', 'captured', 'posted']);
      await expect(amountsOf(from)).resolves.toEqual({ balance: 0n, held: 0n, available: 0n });
      await expect(
        prisma.hold.findUniqueOrThrow({ where: { transferId: hold.aggregateId } }),
      ).resolves.toMatchObject({
        status: 'CAPTURED',
        capturedMinor: 3_000n,
      });
      await expect(sumOfAllBalances()).resolves.toBe(0n);
    });
  });

  describe('rejectUnprocessable (before the consumer dead-letters a request)', () => {
    it('rejects an undecided hold request without placing it, and leaves a placed hold alone', async () => {
      const from = await fundedAccount(1_000n);
      const to = await openAccount();
      const undecided = holdRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 300n,
      });
      const placed = await placedHold(1_000n, 300n);

      await expect(handler.rejectUnprocessable(undecided, deadLetterOf(undecided))).resolves.toMatchObject({
        outcome: 'rejected',
        reason: 'UNPROCESSABLE',
      });
      const stuck = { ...placed.hold, id: randomUUID() };
      await expect(handler.rejectUnprocessable(stuck, deadLetterOf(stuck))).resolves.toEqual({
        outcome: 'already_decided',
      });

      await expect(prisma.hold.count({ where: { transferId: undecided.aggregateId } })).resolves.toBe(0);
      await expect(amountsOf(from)).resolves.toMatchObject({ held: 0n });
      await expect(amountsOf(placed.from)).resolves.toMatchObject({ held: 300n });
    });

    it("records a refund's payment with its UNPROCESSABLE decision", async () => {
      const paymentId = randomUUID();
      const refund = refundRequested(
        {
          clientId: CLIENT_B,
          fromAccountId: await openAccount({ owner: CLIENT_B }),
          toAccountId: treasury,
          amountMinor: 1n,
        },
        paymentId,
      );

      await handler.rejectUnprocessable(refund, deadLetterOf(refund));

      await expect(
        prisma.ledgerDecision.findUniqueOrThrow({ where: { transferId: refund.aggregateId } }),
      ).resolves.toMatchObject({ outcome: 'REJECTED', reason: 'UNPROCESSABLE', refundOf: paymentId });
    });
  });

  describe('refunds', () => {
    /** Client A paid `amountMinor` to a fresh account of client B, which holds `spareMinor` more. */
    async function payment(amountMinor: bigint, spareMinor = 10_000n) {
      const payer = await fundedAccount(amountMinor);
      const payee = await fundedAccount(spareMinor, CLIENT_B);
      const paid = transferRequested({
        clientId: CLIENT_A,
        fromAccountId: payer,
        toAccountId: payee,
        amountMinor,
      });
      await expect(handler.execute(paid)).resolves.toMatchObject({ outcome: 'posted' });
      const refund = (refundMinor: bigint, clientId: string = CLIENT_B) =>
        refundRequested(
          { clientId, fromAccountId: payee, toAccountId: payer, amountMinor: refundMinor },
          paid.aggregateId,
        );
      return { payer, payee, paymentId: paid.aggregateId, refund };
    }

    it('posts partial refunds up to the payment, then refuses one minor unit more', async () => {
      const { payer, paymentId, refund } = await payment(5_000n);
      const partial = refund(2_000n);
      const rest = refund(3_000n);
      const over = refund(1n);

      const results = [
        await handler.execute(partial),
        await handler.execute(rest),
        await handler.execute(over),
      ];

      expect(results.map((r) => r.outcome)).toEqual(['posted', 'posted', 'rejected']);
      expect(results[2]).toMatchObject({ reason: 'REFUND_EXCEEDS_PAYMENT' });
      await expect(amountsOf(payer)).resolves.toMatchObject({ balance: 5_000n });
      await expect(
        prisma.ledgerDecision.findMany({ where: { refundOf: paymentId }, orderBy: { decidedAt: 'asc' } }),
      ).resolves.toEqual([
        expect.objectContaining({ transferId: partial.aggregateId, outcome: 'POSTED' }),
        expect.objectContaining({ transferId: rest.aggregateId, outcome: 'POSTED' }),
        expect.objectContaining({
          transferId: over.aggregateId,
          outcome: 'REJECTED',
          reason: 'REFUND_EXCEEDS_PAYMENT',
        }),
      ]);
      await expect(entriesOf(over.aggregateId)).resolves.toEqual([]);
    });

    it('posts a full refund, and refuses a first refund one minor unit over the payment', async () => {
      const full = await payment(5_000n);
      const over = await payment(5_000n);

      await expect(handler.execute(full.refund(5_000n))).resolves.toMatchObject({ outcome: 'posted' });
      await expect(handler.execute(over.refund(5_001n))).resolves.toMatchObject({
        outcome: 'rejected',
        reason: 'REFUND_EXCEEDS_PAYMENT',
      });
      await expect(amountsOf(full.payer)).resolves.toMatchObject({ balance: 5_000n });
      await expect(amountsOf(over.payer)).resolves.toMatchObject({ balance: 0n });
    });

    it('leaves exactly one posted of two refunds in one batch that together exceed the payment', async () => {
      const { payer, payee, refund } = await payment(5_000n);
      const first = refund(3_000n);
      const second = refund(3_000n);

      const results = await handler.executeBatch([first, second]);

      expect(results).toEqual([
        expect.objectContaining({ outcome: 'posted' }),
        expect.objectContaining({ outcome: 'rejected', reason: 'REFUND_EXCEEDS_PAYMENT' }),
      ]);
      await expect(amountsOf(payer)).resolves.toMatchObject({ balance: 3_000n });
      await expect(amountsOf(payee)).resolves.toMatchObject({ balance: 12_000n });
    });

    it('posts exactly one of two concurrent refunds that together exceed the payment', async () => {
      const { payer, refund } = await payment(5_000n);

      const results = await Promise.all([handler.execute(refund(3_000n)), handler.execute(refund(3_000n))]);

      expect(countOutcomes(results)).toEqual({ posted: 1, rejected: 1 });
      await expect(amountsOf(payer)).resolves.toMatchObject({ balance: 3_000n });
    });

    it('refuses a refund of a refund with REFUND_EXCEEDS_PAYMENT', async () => {
      const { payer, payee, refund } = await payment(5_000n);
      const first = refund(1_000n);
      await expect(handler.execute(first)).resolves.toMatchObject({ outcome: 'posted' });
      const ofTheRefund = refundRequested(
        { clientId: CLIENT_A, fromAccountId: payer, toAccountId: payee, amountMinor: 1n },
        first.aggregateId,
      );

      await expect(handler.execute(ofTheRefund)).resolves.toMatchObject({
        outcome: 'rejected',
        reason: 'REFUND_EXCEEDS_PAYMENT',
      });
    });

    it("answers ACCOUNT_NOT_FOUND for a refund from another client's payee account", async () => {
      const { payee, refund } = await payment(5_000n);
      const forged = refund(1_000n, CLIENT_A);

      await expect(handler.execute(forged)).resolves.toMatchObject({
        outcome: 'rejected',
        reason: 'ACCOUNT_NOT_FOUND',
      });
      await expect(amountsOf(payee)).resolves.toMatchObject({ balance: 15_000n });
    });

    it('refunds a captured hold up to the captured amount, not the amount held', async () => {
      const { from, to, hold, transferId } = await placedHold(10_000n, 4_000n);
      await handler.execute(captureRequested(hold, 2_500n));
      // The payee has more than enough, so only the refund rule can refuse.
      await handler.execute(
        transferRequested({
          clientId: CLIENT_A,
          fromAccountId: treasury,
          toAccountId: to,
          amountMinor: 10_000n,
        }),
      );
      const refund = (amountMinor: bigint) =>
        refundRequested(
          { clientId: CLIENT_B, fromAccountId: to, toAccountId: from, amountMinor },
          transferId,
        );

      await expect(handler.execute(refund(2_501n))).resolves.toMatchObject({
        reason: 'REFUND_EXCEEDS_PAYMENT',
      });
      await expect(handler.execute(refund(2_500n))).resolves.toMatchObject({ outcome: 'posted' });
      await expect(amountsOf(from)).resolves.toMatchObject({ balance: 10_000n, held: 0n });
    });
  });
});

function countOutcomes(
  results: PostTransferResult[],
): Partial<Record<PostTransferResult['outcome'], number>> {
  const counts: Partial<Record<PostTransferResult['outcome'], number>> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
