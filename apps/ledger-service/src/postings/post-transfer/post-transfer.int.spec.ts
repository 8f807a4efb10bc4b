// Proves, on a real ledger database, that posting a transfer moves money exactly once: two balanced
// entries or, for each rejection reason, none; one decision per transfer however often and however
// concurrently it is requested; an account never overdrawn by concurrent debits; and a request being
// dead-lettered rejected as UNPROCESSABLE only while its transfer is undecided, its dead letter written
// in the same transaction; and a batch's round trips.
import {
  deadLetterTopicOf,
  decodeEvent,
  TOPICS,
  type OncePayEvent,
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
  POST_TRANSFER_CONSUMER,
  PostTransferHandler,
  type PostTransferResult,
} from './post-transfer.handler';

const CLIENT_A = TEST_CLIENTS.a.id;
const CLIENT_B = TEST_CLIENTS.b.id;

describe('posting a transfer', () => {
  let database: TestDatabase;
  let prisma: LedgerDatabase;
  /** The handler's own way in, as in the service: node-postgres on a pool. */
  let pg: ReturnType<typeof createPgDatabase>;
  let handler: PostTransferHandler;
  /** The treasury every test funds its accounts from: the one account allowed below zero. */
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
    options: { owner?: string; currency?: string; allowNegativeBalance?: boolean } = {},
  ): Promise<string> {
    const account = await prisma.account.create({
      data: {
        id: randomUUID(),
        ownerClientId: options.owner ?? CLIENT_A,
        currency: options.currency ?? 'EUR',
        allowNegativeBalance: options.allowNegativeBalance ?? false,
      },
    });
    return account.id;
  }

  /** An account of client A holding `balanceMinor`, credited from the treasury by a real posting. */
  async function fundedAccount(balanceMinor: bigint, owner = CLIENT_A): Promise<string> {
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

  async function balanceOf(accountId: string): Promise<bigint> {
    return (await prisma.account.findUniqueOrThrow({ where: { id: accountId } })).balanceMinor;
  }

  async function entriesOf(transferId: string) {
    return prisma.journalEntry.findMany({ where: { transferId }, orderBy: { id: 'asc' } });
  }

  /**
   * The answers in the outbox for a transfer, decoded the way a consumer would read them: its rows on
   * the ledger's results topic (not its dead letters).
   */
  async function answersFor(transferId: string): Promise<OncePayEvent[]> {
    const rows = await prisma.outboxMessage.findMany({
      where: { key: transferId, topic: TOPICS.ledgerResults },
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

  it('posts a DEBIT and a CREDIT, moves both balances and answers TransferPosted', async () => {
    const from = await fundedAccount(10_000n);
    const to = await openAccount({ owner: CLIENT_B });
    const request = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 2_500n,
      reference: 'invoice 42',
    });

    const result = await handler.execute(request);

    expect(result.outcome).toBe('posted');
    await expect(balanceOf(from)).resolves.toBe(7_500n);
    await expect(balanceOf(to)).resolves.toBe(2_500n);
    await expect(sumOfAllBalances()).resolves.toBe(0n);
    const entries = await entriesOf(request.aggregateId);
    expect(entries).toEqual([
      expect.objectContaining({ accountId: from, direction: 'DEBIT', amountMinor: 2_500n, currency: 'EUR' }),
      expect.objectContaining({ accountId: to, direction: 'CREDIT', amountMinor: 2_500n, currency: 'EUR' }),
    ]);
    await expect(
      prisma.ledgerDecision.findUnique({ where: { transferId: request.aggregateId } }),
    ).resolves.toMatchObject({ outcome: 'POSTED', reason: null });

    const answers = await answersFor(request.aggregateId);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toEqual({
      id: expect.any(String),
      type: 'TransferPosted',
      schemaVersion: 1,
      occurredAt: entries[0]?.postedAt.toISOString(),
      producer: 'ledger-service',
      aggregateId: request.aggregateId,
      sequence: request.sequence + 1,
      correlationId: request.correlationId,
      causationId: request.id,
      payload: { ...request.payload, postedAt: entries[0]?.postedAt.toISOString() },
    });
    expect(answers[0]?.id).not.toBe(request.id);
  });

  it('rejects an overdraft with INSUFFICIENT_FUNDS and writes no entry', async () => {
    const from = await fundedAccount(1_000n);
    const to = await openAccount();
    const request = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 1_001n,
    });

    const result = await handler.execute(request);

    expect(result).toMatchObject({ outcome: 'rejected', reason: 'INSUFFICIENT_FUNDS' });
    await expect(entriesOf(request.aggregateId)).resolves.toEqual([]);
    await expect(balanceOf(from)).resolves.toBe(1_000n);
    await expect(balanceOf(to)).resolves.toBe(0n);
    await expect(
      prisma.ledgerDecision.findUnique({ where: { transferId: request.aggregateId } }),
    ).resolves.toMatchObject({ outcome: 'REJECTED', reason: 'INSUFFICIENT_FUNDS' });
    await expect(answersFor(request.aggregateId)).resolves.toEqual([
      expect.objectContaining({
        type: 'TransferRejected',
        sequence: 2,
        causationId: request.id,
        correlationId: request.correlationId,
        payload: { ...request.payload, reason: 'INSUFFICIENT_FUNDS' },
      }),
    ]);
  });

  it('lets an account with allowNegativeBalance go below zero', async () => {
    const settlement = await openAccount({ allowNegativeBalance: true });
    const to = await openAccount();
    const request = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: settlement,
      toAccountId: to,
      amountMinor: 40n,
    });

    await expect(handler.execute(request)).resolves.toMatchObject({ outcome: 'posted' });
    await expect(balanceOf(settlement)).resolves.toBe(-40n);
  });

  it.each<[string, () => Promise<Omit<TransferRequestFacts, 'amountMinor'>>, string]>([
    [
      'an unknown from account',
      async () => ({ clientId: CLIENT_A, fromAccountId: randomUUID(), toAccountId: await openAccount() }),
      'ACCOUNT_NOT_FOUND',
    ],
    [
      'an unknown to account',
      async () => ({
        clientId: CLIENT_A,
        fromAccountId: await fundedAccount(500n),
        toAccountId: randomUUID(),
      }),
      'ACCOUNT_NOT_FOUND',
    ],
    [
      'accounts of another currency than the request',
      async () => ({
        clientId: CLIENT_A,
        fromAccountId: await fundedAccount(500n),
        toAccountId: await openAccount({ currency: 'USD' }),
      }),
      'CURRENCY_MISMATCH',
    ],
    [
      'the same account on both sides',
      async () => {
        const account = await fundedAccount(500n);
        return { clientId: CLIENT_A, fromAccountId: account, toAccountId: account };
      },
      'SAME_ACCOUNT',
    ],
    [
      'a debit of an account another client opened, as if it did not exist',
      async () => ({
        clientId: CLIENT_B,
        fromAccountId: await fundedAccount(500n, CLIENT_A),
        toAccountId: await openAccount({ owner: CLIENT_B }),
      }),
      'ACCOUNT_NOT_FOUND',
    ],
    [
      'a credit that would take a balance past 2^63-1 (FAILED, not dead-lettered)',
      async () => {
        const ownTreasury = await openAccount({ allowNegativeBalance: true });
        const full = await openAccount();
        const filled = await handler.execute(
          transferRequested({
            clientId: CLIENT_A,
            fromAccountId: ownTreasury,
            toAccountId: full,
            amountMinor: 2n ** 63n - 1n,
          }),
        );
        expect(filled.outcome).toBe('posted');
        return { clientId: CLIENT_A, fromAccountId: await fundedAccount(500n), toAccountId: full };
      },
      'BALANCE_OUT_OF_RANGE',
    ],
    [
      "a credit to another client's account of another currency, as if it did not exist",
      async () => ({
        clientId: CLIENT_A,
        fromAccountId: await fundedAccount(500n),
        toAccountId: await openAccount({ owner: CLIENT_B, currency: 'USD' }),
      }),
      'ACCOUNT_NOT_FOUND',
    ],
  ])('rejects %s', async (_, accounts, reason) => {
    const request = transferRequested({ ...(await accounts()), amountMinor: 100n });
    const before = await sumOfAllBalances();

    const result = await handler.execute(request);

    expect(result).toMatchObject({ outcome: 'rejected', reason });
    await expect(entriesOf(request.aggregateId)).resolves.toEqual([]);
    await expect(sumOfAllBalances()).resolves.toBe(before);
    await expect(answersFor(request.aggregateId)).resolves.toEqual([
      expect.objectContaining({ type: 'TransferRejected', payload: expect.objectContaining({ reason }) }),
    ]);
  });

  it('posts once when the same event is delivered twice', async () => {
    const from = await fundedAccount(1_000n);
    const to = await openAccount();
    const request = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 300n,
    });

    const first = await handler.execute(request);
    const second = await handler.execute(request);

    expect([first.outcome, second.outcome]).toEqual(['posted', 'duplicate_event']);
    await expect(entriesOf(request.aggregateId)).resolves.toHaveLength(2);
    await expect(balanceOf(from)).resolves.toBe(700n);
    await expect(answersFor(request.aggregateId)).resolves.toHaveLength(1);
    await expect(
      prisma.processedMessage.count({ where: { consumer: POST_TRANSFER_CONSUMER, messageId: request.id } }),
    ).resolves.toBe(1);
  });

  it('decides a transfer once when another event asks for it again', async () => {
    const from = await fundedAccount(1_000n);
    const to = await openAccount();
    const request = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 300n,
    });
    // The same transfer under a new event id, with its ids in capitals: still the same transfer.
    const again = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: from.toUpperCase(),
      toAccountId: to.toUpperCase(),
      amountMinor: 300n,
      transferId: request.aggregateId.toUpperCase(),
    });

    const first = await handler.execute(request);
    const second = await handler.execute(again);

    expect([first.outcome, second.outcome]).toEqual(['posted', 'already_decided']);
    await expect(entriesOf(request.aggregateId)).resolves.toHaveLength(2);
    await expect(balanceOf(from)).resolves.toBe(700n);
    await expect(answersFor(request.aggregateId)).resolves.toHaveLength(1);
  });

  describe('rejectUnprocessable (before the consumer dead-letters a request)', () => {
    async function newRequest(): Promise<TransferRequested> {
      const from = await fundedAccount(1_000n);
      return transferRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: await openAccount(),
        amountMinor: 300n,
      });
    }

    it('rejects an undecided transfer with its dedup record, no entry and one TransferRejected; a replay is a duplicate', async () => {
      const request = await newRequest();

      const rejected = await handler.rejectUnprocessable(request, deadLetterOf(request));
      const replayed = await handler.execute(request);

      expect([rejected.outcome, replayed.outcome]).toEqual(['rejected', 'duplicate_event']);
      await expect(entriesOf(request.aggregateId)).resolves.toEqual([]);
      await expect(balanceOf(request.payload.fromAccountId)).resolves.toBe(1_000n);
      const answers = await answersFor(request.aggregateId);
      expect(answers).toEqual([
        expect.objectContaining({
          type: 'TransferRejected',
          causationId: request.id,
          payload: expect.objectContaining({ reason: 'UNPROCESSABLE' }),
        }),
      ]);
      await expect(
        prisma.ledgerDecision.findUniqueOrThrow({ where: { transferId: request.aggregateId } }),
      ).resolves.toMatchObject({ outcome: 'REJECTED', reason: 'UNPROCESSABLE' });
    });

    it('changes nothing for a transfer another event already posted: money that moved is never failed', async () => {
      const request = await newRequest();
      const posted = await handler.execute(request);
      const stuck = { ...request, id: randomUUID() };

      const settled = await handler.rejectUnprocessable(stuck, deadLetterOf(stuck));

      expect([posted.outcome, settled.outcome]).toEqual(['posted', 'already_decided']);
      await expect(entriesOf(request.aggregateId)).resolves.toHaveLength(2);
      await expect(answersFor(request.aggregateId)).resolves.toEqual([
        expect.objectContaining({ type: 'TransferPosted' }),
      ]);
    });

    async function outboxRowsOf(transferId: string) {
      return prisma.outboxMessage.findMany({ where: { key: transferId }, orderBy: { position: 'asc' } });
    }

    it('writes the dead letter with the rejection, in its transaction, behind the answer', async () => {
      const request = await newRequest();
      const deadLetter = deadLetterOf(request);

      await expect(handler.rejectUnprocessable(request, deadLetter)).resolves.toMatchObject({
        outcome: 'rejected',
      });

      const rows = await outboxRowsOf(request.aggregateId);
      expect(rows.map((row) => row.topic)).toEqual([
        TOPICS.ledgerResults,
        deadLetterTopicOf(TOPICS.transferRequests),
      ]);
      expect(rows[1]).toMatchObject({
        key: deadLetter.key,
        value: deadLetter.value.toString('utf8'),
        headers: deadLetter.headers,
        status: 'PENDING',
      });
      expect(rows[1]?.id).not.toBe(request.id);
    });

    it('writes the dead letter alone for a transfer already decided', async () => {
      const request = await newRequest();
      await handler.execute(request);
      const stuck = { ...request, id: randomUUID() };

      await expect(handler.rejectUnprocessable(stuck, deadLetterOf(stuck))).resolves.toEqual({
        outcome: 'already_decided',
      });

      const rows = await outboxRowsOf(request.aggregateId);
      expect(rows.map((row) => row.topic)).toEqual([
        TOPICS.ledgerResults,
        deadLetterTopicOf(TOPICS.transferRequests),
      ]);
      await expect(entriesOf(request.aggregateId)).resolves.toHaveLength(2);
    });

    it('writes only the dead letter for an event processed before', async () => {
      const request = await newRequest();
      const first = await handler.rejectUnprocessable(request, deadLetterOf(request));
      const second = await handler.rejectUnprocessable(request, deadLetterOf(request));

      expect([first.outcome, second.outcome]).toEqual(['rejected', 'duplicate_event']);
      await expect(answersFor(request.aggregateId)).resolves.toHaveLength(1);
      const rows = await outboxRowsOf(request.aggregateId);
      expect(rows.map((row) => row.topic)).toEqual([
        TOPICS.ledgerResults,
        deadLetterTopicOf(TOPICS.transferRequests),
        deadLetterTopicOf(TOPICS.transferRequests),
      ]);
    });
  });

  it('posts once across concurrent redeliveries and re-requests of one transfer', async () => {
    const from = await fundedAccount(1_000n);
    const to = await openAccount();
    const request = transferRequested({
      clientId: CLIENT_A,
      fromAccountId: from,
      toAccountId: to,
      amountMinor: 300n,
    });
    const deliveries: TransferRequested[] = Array.from({ length: 12 }, (_, i) =>
      i % 2 === 0
        ? request
        : transferRequested({ ...request.payload, transferId: request.aggregateId, eventId: randomUUID() }),
    );

    const results = await Promise.all(deliveries.map((delivery) => handler.execute(delivery)));

    expect(countOutcomes(results)).toEqual({
      posted: 1,
      duplicate_event: expect.any(Number),
      already_decided: expect.any(Number),
    });
    await expect(entriesOf(request.aggregateId)).resolves.toHaveLength(2);
    await expect(balanceOf(from)).resolves.toBe(700n);
    await expect(answersFor(request.aggregateId)).resolves.toHaveLength(1);
  });

  it('decides once when concurrent requests for one transfer name different accounts', async () => {
    const transferId = randomUUID();
    const pairs = await Promise.all(
      Array.from({ length: 4 }, async () => ({ from: await fundedAccount(500n), to: await openAccount() })),
    );
    const requests = pairs.map(({ from, to }) =>
      transferRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: to,
        amountMinor: 50n,
        transferId,
      }),
    );

    const results = await Promise.all(requests.map((request) => handler.execute(request)));

    expect(countOutcomes(results)).toEqual({ posted: 1, already_decided: 3 });
    await expect(entriesOf(transferId)).resolves.toHaveLength(2);
    await expect(answersFor(transferId)).resolves.toHaveLength(1);
  });

  it('posts exactly as many of 30 concurrent debits as the balance covers, never going below zero', async () => {
    const from = await fundedAccount(1_000n);
    const recipients = await Promise.all(Array.from({ length: 3 }, () => openAccount({ owner: CLIENT_B })));
    const requests = Array.from({ length: 30 }, (_, i) =>
      transferRequested({
        clientId: CLIENT_A,
        fromAccountId: from,
        toAccountId: recipients[i % recipients.length] ?? '',
        amountMinor: 100n,
      }),
    );

    const results = await Promise.all(requests.map((request) => handler.execute(request)));

    expect(countOutcomes(results)).toEqual({ posted: 10, rejected: 20 });
    expect(results.filter((r) => r.outcome === 'rejected')).toEqual(
      Array(20).fill(expect.objectContaining({ reason: 'INSUFFICIENT_FUNDS' })),
    );
    await expect(balanceOf(from)).resolves.toBe(0n);
    // Replaying the account's journal in commit order: the balance is never negative at any point.
    const journal = await prisma.journalEntry.findMany({
      where: { accountId: from },
      orderBy: { id: 'asc' },
    });
    let runningMinor = 0n;
    for (const entry of journal) {
      runningMinor += entry.direction === 'CREDIT' ? entry.amountMinor : -entry.amountMinor;
      expect(runningMinor).toBeGreaterThanOrEqual(0n);
    }
    expect(journal).toHaveLength(11);
    await expect(sumOfAllBalances()).resolves.toBe(0n);
  });

  it('decides a batch in order in one transaction, each transfer seeing the balances the ones before it left', async () => {
    const from = await fundedAccount(250n);
    const to = await openAccount({ owner: CLIENT_B });
    const debits = Array.from({ length: 4 }, () =>
      transferRequested({ clientId: CLIENT_A, fromAccountId: from, toAccountId: to, amountMinor: 100n }),
    );
    // The recipient passes 100 back mid-batch: the third debit fits only because of it.
    const back = transferRequested({
      clientId: CLIENT_B,
      fromAccountId: to,
      toAccountId: from,
      amountMinor: 100n,
    });
    const contradicting = transferRequested({
      ...debits[0]!.payload,
      transferId: debits[0]!.aggregateId,
      amountMinor: 1n,
    });
    const batch = [debits[0]!, debits[1]!, back, debits[2]!, debits[0]!, contradicting, debits[3]!];

    const results = await handler.executeBatch(batch);

    expect(results.map((r) => r.outcome)).toEqual([
      'posted',
      'posted',
      'posted',
      'posted',
      'duplicate_event',
      'already_decided',
      'rejected',
    ]);
    expect(results[6]).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
    await expect(balanceOf(from)).resolves.toBe(50n);
    await expect(balanceOf(to)).resolves.toBe(200n);
    for (const request of [debits[0]!, debits[1]!, debits[2]!, back])
      await expect(entriesOf(request.aggregateId)).resolves.toHaveLength(2);
    await expect(entriesOf(debits[3]!.aggregateId)).resolves.toHaveLength(0);
    await expect(sumOfAllBalances()).resolves.toBe(0n);
    // Redelivering the whole batch changes nothing.
    const again = await handler.executeBatch(batch);
    expect(new Set(again.map((r) => r.outcome))).toEqual(new Set(['duplicate_event']));
    await expect(balanceOf(from)).resolves.toBe(50n);
  });

  it('decides a batch of payments in six round trips to PostgreSQL, whatever its size', async () => {
    // Each statement is a round trip (docs/performance.md): BEGIN, the dedup records, the account locks,
    // the decisions made before, then the decisions, entries, balances and answers as ONE statement,
    // and COMMIT. A batch of 2 and one of 40 cost the same.
    for (const size of [2, 40]) {
      const from = await fundedAccount(BigInt(size) * 10n);
      const to = await openAccount({ owner: CLIENT_B });
      const batch = Array.from({ length: size }, () =>
        transferRequested({ clientId: CLIENT_A, fromAccountId: from, toAccountId: to, amountMinor: 10n }),
      );
      const before = pg.roundTrips();
      const results = await handler.executeBatch(batch);
      expect(pg.roundTrips() - before).toBe(6);
      expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['posted']));
      await expect(balanceOf(to)).resolves.toBe(BigInt(size) * 10n);
      await expect(answersFor(batch[size - 1]!.aggregateId)).resolves.toHaveLength(1);
    }
  });

  it('completes concurrent transfers in opposite directions between two accounts without a deadlock', async () => {
    const left = await fundedAccount(1_000n);
    const right = await fundedAccount(1_000n);
    const requests = Array.from({ length: 20 }, (_, i) =>
      transferRequested({
        clientId: CLIENT_A,
        fromAccountId: i % 2 === 0 ? left : right,
        toAccountId: i % 2 === 0 ? right : left,
        amountMinor: BigInt(10 + i),
      }),
    );

    const results = await Promise.all(requests.map((request) => handler.execute(request)));

    expect(countOutcomes(results)).toEqual({ posted: 20 });
    // Left sends 10+12+...+28 = 190 and receives 11+13+...+29 = 200.
    await expect(balanceOf(left)).resolves.toBe(1_010n);
    await expect(balanceOf(right)).resolves.toBe(990n);
  });
});

function countOutcomes(
  results: PostTransferResult[],
): Partial<Record<PostTransferResult['outcome'], number>> {
  const counts: Partial<Record<PostTransferResult['outcome'], number>> = {};
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return counts;
}
