// Proves the transfer-service applies the ledger's answers through the real broker exactly as the
// state machine allows: TransferPosted completes a PENDING transfer and writes one TransferCompleted;
// the same answer redelivered, a contradicting TransferRejected in its place (stale) and one after it
// (illegal) change nothing, and each is recorded with its verdict; and what a batch of answers costs
// in round trips.
import {
  createEvent,
  encodeEvent,
  TOPICS,
  type TransferPosted,
  type TransferRejected,
} from '@oncepay/contracts';
import { PRISMA } from '@oncepay/service-runtime';
import {
  createTestDatabase,
  createTestKafka,
  startTestService,
  TEST_CLIENTS,
  testTopic,
  waitFor,
  createPgDatabase,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import type { TransferDatabase } from '../../database';
import { toTransferState } from '../transfer.repository';
import { TransferMetrics } from '../transfer-metrics';
import { RecordLedgerResultHandler } from './record-ledger-result.handler';
import { AppModule } from '../../app.module';

describe('recording the ledger result', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: TransferDatabase;
  const producer = createTestKafka().producer();

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
    });
    prisma = service.app.get<TransferDatabase>(PRISMA);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await service.close();
    await database.drop();
  });

  async function requestTransfer(): Promise<string> {
    const response = await fetch(`${service.baseUrl}/v1/transfers`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        ...TEST_CLIENTS.a.auth,
      },
      body: JSON.stringify({
        fromAccountId: randomUUID(),
        toAccountId: randomUUID(),
        amount: '700',
        currency: 'USD',
      }),
    });
    return ((await response.json()) as { id: string }).id;
  }

  /** The ledger's answer to the transfer's TransferRequested, as the ledger-service would write it. */
  async function ledgerAnswer<T extends 'TransferPosted' | 'TransferRejected'>(
    transferId: string,
    type: T,
    sequence = 2,
  ): Promise<TransferPosted | TransferRejected> {
    const row = await prisma.transfer.findUniqueOrThrow({ where: { id: transferId } });
    const facts = toTransferState(row).transfer;
    const meta = {
      id: randomUUID(),
      occurredAt: new Date(),
      producer: 'ledger-service',
      sequence,
      correlationId: row.correlationId,
      causationId: row.lastEventId,
    };
    return type === 'TransferPosted'
      ? createEvent('TransferPosted', { ...facts, postedAt: new Date().toISOString() }, meta)
      : createEvent('TransferRejected', { ...facts, reason: 'INSUFFICIENT_FUNDS' }, meta);
  }

  const publish = (event: TransferPosted | TransferRejected) =>
    producer.send({ topic: testTopic(TOPICS.ledgerResults), messages: [encodeEvent(event)] });

  const finalEvents = (transferId: string) =>
    prisma.outboxMessage.findMany({ where: { key: transferId, topic: TOPICS.transferOutcomes } });

  it('completes on TransferPosted, once, and ignores a redelivery and a contradiction', async () => {
    const transferId = await requestTransfer();
    const posted = await ledgerAnswer(transferId, 'TransferPosted');
    await publish(posted);
    await waitFor(
      () => prisma.transfer.findUniqueOrThrow({ where: { id: transferId } }),
      (t) => t.status === 'COMPLETED',
      { what: 'COMPLETED' },
    );

    // The redelivery is dropped by dedup (its event id); a contradiction under the answer's own
    // sequence is stale by the sequence guard; one under a later sequence passes the guard and is
    // refused by the state machine: a COMPLETED transfer cannot fail.
    await publish(posted);
    const inPlace = await ledgerAnswer(transferId, 'TransferRejected', 2);
    const after = await ledgerAnswer(transferId, 'TransferRejected', 4);
    await publish(inPlace);
    await publish(after);
    const ignored = () => prisma.staleEvent.findMany({ where: { transferId }, orderBy: { sequence: 'asc' } });
    const verdicts = await waitFor(ignored, (rows) => rows.length >= 2, {
      what: 'both contradicting answers to be recorded',
    });
    expect(
      verdicts.map(({ eventId, verdict, detail, transferVersion }) => ({
        eventId,
        verdict,
        detail,
        transferVersion,
      })),
    ).toEqual([
      { eventId: inPlace.id, verdict: 'stale', detail: null, transferVersion: 3 },
      { eventId: after.id, verdict: 'illegal', detail: 'CONTRADICTS_OUTCOME', transferVersion: 3 },
    ]);

    const transfer = await prisma.transfer.findUniqueOrThrow({ where: { id: transferId } });
    expect(transfer).toMatchObject({ status: 'COMPLETED', failureReason: null, version: 3 });
    const finals = await finalEvents(transferId);
    expect(finals).toHaveLength(1);
    expect(JSON.parse(finals[0]!.value)).toMatchObject({
      type: 'TransferCompleted',
      sequence: 3,
      causationId: posted.id,
    });
  });

  it('applies a batch of answers in five round trips to PostgreSQL, whatever its size', async () => {
    // BEGIN, the dedup records, the transfers' locks, their new states with the final events in the
    // outbox (one statement), COMMIT. Called directly, on a pool of its own that counts.
    const pg = createPgDatabase(database.url);
    try {
      const handler = new RecordLedgerResultHandler(pg.db, service.app.get(TransferMetrics));
      for (const size of [2, 20]) {
        const transfers = await Promise.all(Array.from({ length: size }, () => requestTransfer()));
        const answers = await Promise.all(transfers.map((id) => ledgerAnswer(id, 'TransferPosted')));
        const before = pg.roundTrips();
        const outcomes = await handler.executeBatch(answers);
        expect(pg.roundTrips() - before).toBe(5);
        expect(new Set(outcomes)).toEqual(new Set(['processed']));
        const rows = await prisma.transfer.findMany({ where: { id: { in: transfers } } });
        expect(new Set(rows.map((row) => row.status))).toEqual(new Set(['COMPLETED']));
        await expect(finalEvents(transfers[size - 1]!)).resolves.toHaveLength(1);
      }
    } finally {
      await pg.end();
    }
  });

  it('fails with the ledger’s reason on TransferRejected', async () => {
    const transferId = await requestTransfer();
    await publish(await ledgerAnswer(transferId, 'TransferRejected'));
    await waitFor(
      () => prisma.transfer.findUniqueOrThrow({ where: { id: transferId } }),
      (t) => t.status === 'FAILED',
      { what: 'FAILED' },
    );
    const response = await fetch(`${service.baseUrl}/v1/transfers/${transferId}`, {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(await response.json()).toMatchObject({ status: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' });
    const finals = await finalEvents(transferId);
    expect(finals.map((row) => JSON.parse(row.value).type)).toEqual(['TransferFailed']);
  });
});
