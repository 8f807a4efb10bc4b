// Proves the transfer-service side of holds on the real database: a hold is accepted PENDING with its
// expiry; a capture before the ledger placed it is refused (409 HOLD_NOT_PLACED) and stores no key, so
// the same key is accepted once it is HELD; a hold ends exactly one way (a second capture, a capture
// after a void, 20 concurrent captures and voids: one 202, the rest 409), and not at all past its
// expiry (HOLD_EXPIRED, before the job ran); a step replays under its key; the expiry job moves a due
// hold to EXPIRING with its ReleaseRequested and leaves a not-due one, and holds it cannot expire do not
// keep it from those due after them; the ledger's HoldPlaced,
// HoldCaptured and HoldReleased move the state machine to its final words; bad input is a 400.
// The ledger's answers are handed to the handler as the ledger would publish them.
import { ConfigService } from '@nestjs/config';
import { OUTBOX_SIGNAL, PG_DATABASE, PRISMA } from '@oncepay/service-runtime';
import type { PgDatabase } from '@oncepay/sql';
import {
  createTestDatabase,
  startTestService,
  TEST_CLIENTS,
  type TestDatabase,
  type TestService,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule } from '../../app.module';
import type { TransferDatabase } from '../../database';
import { ExpireHoldsJob } from '../expire-holds/expire-holds.job';
import { ledgerAnswerTo, type LedgerAnswerSpec } from '../ledger-answers.fixture';
import { RecordLedgerResultHandler } from '../record-ledger-result/record-ledger-result.handler';
import { TransferMetrics } from '../transfer-metrics';
import * as repository from '../transfer.repository';

type Json = Record<string, unknown>;

describe('holds: capture, void and expiry', () => {
  let database: TestDatabase;
  let service: TestService;
  let prisma: TransferDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    service = await startTestService(AppModule.withEnvironment, {
      DATABASE_URL: database.url,
      // The job runs when a test says so (ExpireHoldsJob.run), not on its own timer.
      HOLD_EXPIRY_INTERVAL_MS: '3600000',
    });
    prisma = service.app.get<TransferDatabase>(PRISMA);
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });

  function post(path: string, body: unknown, key: string | null = randomUUID(), client: 'a' | 'b' = 'a') {
    const headers: Record<string, string> = { ...TEST_CLIENTS[client].auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== null) headers['idempotency-key'] = key;
    return fetch(`${service.baseUrl}${path}`, {
      method: 'POST',
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  }

  const capture = (id: string, body: unknown = {}, key?: string) =>
    post(`/v1/transfers/${id}/capture`, body, key);
  const voidHold = (id: string, body: unknown = {}, key?: string) =>
    post(`/v1/transfers/${id}/void`, body, key);

  async function requestHold(expiresInSeconds = 3600, amount = '1000'): Promise<Json> {
    const response = await post('/v1/transfers', {
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      amount,
      currency: 'EUR',
      hold: { expiresInSeconds },
    });
    expect(response.status).toBe(202);
    return (await response.json()) as Json;
  }

  const rowOf = (id: string) => prisma.transfer.findUniqueOrThrow({ where: { id } });

  /** The ledger's answer to the transfer's latest request, recorded as the consumer would. */
  async function ledgerAnswers(id: string, spec: LedgerAnswerSpec): Promise<void> {
    const handler = service.app.get(RecordLedgerResultHandler);
    expect(await handler.executeBatch([ledgerAnswerTo(await rowOf(id), spec)])).toEqual(['processed']);
  }

  async function placedHold(expiresInSeconds?: number): Promise<string> {
    const id = String((await requestHold(expiresInSeconds)).id);
    await ledgerAnswers(id, { type: 'HoldPlaced' });
    return id;
  }

  const eventsOf = async (id: string) =>
    (await prisma.outboxMessage.findMany({ where: { key: id }, orderBy: { position: 'asc' } })).map(
      (row) => JSON.parse(row.value) as { type: string; sequence: number; payload: Json },
    );

  const keyStored = async (key: string) => (await prisma.idempotencyKey.count({ where: { key } })) === 1;

  async function expectProblem(response: Response, status: number, code: string): Promise<Json> {
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Json;
    expect({ status: response.status, code: problem.code }).toEqual({ status, code });
    return problem;
  }

  it('accepts a hold: 202, kind HOLD, PENDING, its expiry, and TransferRequested with it', async () => {
    const before = Date.now();
    const hold = await requestHold(600, '2500');
    expect(hold).toMatchObject({
      kind: 'HOLD',
      status: 'PENDING',
      amount: '2500',
      capturedAmount: null,
      refundOf: null,
      refundedAmount: '0',
    });
    const expiresAt = Date.parse(String(hold.holdExpiresAt));
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    const [requested] = await eventsOf(String(hold.id));
    expect(requested).toMatchObject({
      type: 'TransferRequested',
      sequence: 1,
      payload: { holdExpiresAt: hold.holdExpiresAt },
    });
    const read = await fetch(`${service.baseUrl}/v1/transfers/${String(hold.id)}`, {
      headers: TEST_CLIENTS.a.auth,
    });
    expect(await read.json()).toEqual(hold);
  });

  it('refuses a capture before placement (409 HOLD_NOT_PLACED, key not stored), then takes the same key once HELD', async () => {
    const id = String((await requestHold()).id);
    const key = randomUUID();
    await expectProblem(await capture(id, { amount: '600' }, key), 409, 'HOLD_NOT_PLACED');
    expect(await keyStored(key)).toBe(false);

    await ledgerAnswers(id, { type: 'HoldPlaced' });
    expect(await rowOf(id)).toMatchObject({ status: 'HELD', version: 2 });
    const accepted = await capture(id, { amount: '600' }, key);
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/v1/transfers/${id}`);
    const body = (await accepted.json()) as Json;
    expect(body).toMatchObject({
      id,
      kind: 'HOLD',
      status: 'CAPTURING',
      capturedAmount: '600',
      amount: '1000',
    });

    // The same key again: the stored answer, byte for byte, and nothing decided twice.
    const replayed = await capture(id, { amount: '600' }, key);
    expect(replayed.status).toBe(202);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.json()).toEqual(body);
    // The same key with another body or on another step: 422.
    await expectProblem(await capture(id, { amount: '601' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    await expectProblem(await voidHold(id, {}, key), 422, 'IDEMPOTENCY_KEY_REUSED');

    const events = await eventsOf(id);
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['TransferRequested', 1],
      ['CaptureRequested', 3],
    ]);
    expect(events[1]?.payload).toMatchObject({ captureAmountMinor: '600' });

    await ledgerAnswers(id, { type: 'HoldCaptured' });
    expect(await rowOf(id)).toMatchObject({ status: 'CAPTURED', captureAmountMinor: 600n, version: 5 });
    expect((await eventsOf(id)).at(-1)).toMatchObject({
      type: 'TransferCaptured',
      sequence: 5,
      payload: { captureAmountMinor: '600' },
    });
  });

  it('captures the whole hold without a body, and refuses a second capture (409 HOLD_CAPTURED)', async () => {
    const id = await placedHold();
    const first = await capture(id, undefined);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ status: 'CAPTURING', capturedAmount: '1000' });
    const key = randomUUID();
    await expectProblem(await capture(id, {}, key), 409, 'HOLD_CAPTURED');
    await expectProblem(await voidHold(id), 409, 'HOLD_CAPTURED');
    expect(await keyStored(key)).toBe(false);
  });

  it('takes an empty body sent as JSON (curl -H Content-Type without -d) as no body', async () => {
    const id = await placedHold();
    const voided = await voidHold(id, '');
    expect(voided.status).toBe(202);
    expect(await voided.json()).toMatchObject({ status: 'VOIDING' });
  });

  it('refuses a JSON null body (400), where no body at all captures the whole hold', async () => {
    const id = await placedHold();
    const key = randomUUID();
    await expectProblem(await capture(id, 'null', key), 400, 'VALIDATION_ERROR');
    await expectProblem(await voidHold(id, 'null', key), 400, 'VALIDATION_ERROR');
    expect(await rowOf(id)).toMatchObject({ status: 'HELD', captureAmountMinor: null });
    expect(await keyStored(key)).toBe(false);
  });

  it('refuses a capture of more than the hold (422 CAPTURE_EXCEEDS_HOLD), leaving it HELD', async () => {
    const id = await placedHold();
    await expectProblem(await capture(id, { amount: '1001' }), 422, 'CAPTURE_EXCEEDS_HOLD');
    expect(await rowOf(id)).toMatchObject({ status: 'HELD', captureAmountMinor: null });
  });

  it('voids a hold (VOIDING, then VOIDED on HoldReleased) and refuses a capture after it (409 HOLD_VOIDED)', async () => {
    const id = await placedHold();
    const voided = await voidHold(id, undefined);
    expect(voided.status).toBe(202);
    expect(await voided.json()).toMatchObject({ status: 'VOIDING', capturedAmount: null });
    await expectProblem(await capture(id), 409, 'HOLD_VOIDED');
    await ledgerAnswers(id, { type: 'HoldReleased', release: 'VOID' });
    await expectProblem(await capture(id), 409, 'HOLD_VOIDED');
    expect(await rowOf(id)).toMatchObject({ status: 'VOIDED', version: 5 });
    expect((await eventsOf(id)).map((e) => e.type)).toEqual([
      'TransferRequested',
      'ReleaseRequested',
      'TransferVoided',
    ]);
  });

  it('refuses a capture and a void past the expiry (409 HOLD_EXPIRED), before the job ran', async () => {
    const id = await placedHold(1);
    const { holdExpiresAt } = await rowOf(id);
    // Waits for the wall clock to pass the expiry; what is tested does not depend on how fast anything runs.
    await sleep(Math.max(0, holdExpiresAt!.getTime() - Date.now()) + 50);
    await expectProblem(await capture(id), 409, 'HOLD_EXPIRED');
    await expectProblem(await voidHold(id), 409, 'HOLD_EXPIRED');
    expect(await rowOf(id)).toMatchObject({ status: 'HELD' });
  });

  it('lets exactly one of 20 concurrent captures and voids (each with its own key) win', async () => {
    const id = await placedHold();
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const responses = await Promise.all(
      keys.map((key, i) => (i % 2 === 0 ? capture(id, { amount: '300' }, key) : voidHold(id, {}, key))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = (await responses[statuses.indexOf(202)]!.json()) as Json;
    const codes = await Promise.all(
      responses.filter((r) => r.status === 409).map(async (r) => ((await r.json()) as Json).code),
    );
    expect(new Set(codes)).toEqual(
      new Set([winner.status === 'CAPTURING' ? 'HOLD_CAPTURED' : 'HOLD_VOIDED']),
    );
    const steps = (await eventsOf(id)).filter((e) => e.type !== 'TransferRequested');
    expect(steps).toHaveLength(1);
    // Only the winner's key is stored: the refused ones may be used again.
    expect(await prisma.idempotencyKey.count({ where: { key: { in: keys } } })).toBe(1);
  });

  it('answers 10 concurrent captures with one key once: one 202, nine replays of it', async () => {
    const id = await placedHold();
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 10 }, () => capture(id, { amount: '5' }, key)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
    const bodies = await Promise.all(responses.map(async (r) => JSON.stringify(await r.json())));
    expect(new Set(bodies).size).toBe(1);
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['TransferRequested', 'CaptureRequested']);
  });

  it('leaves a due hold another transaction holds (a step in flight, another instance) to a later run', async () => {
    const id = await placedHold(60);
    const db = service.app.get<PgDatabase>(PG_DATABASE);
    const job = service.app.get(ExpireHoldsJob);
    const inTwoMinutes = () => new Date(Date.now() + 120_000);
    await db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM transfers WHERE id = $1::uuid FOR UPDATE', id);
      await job.run(inTwoMinutes);
      expect(await rowOf(id)).toMatchObject({ status: 'HELD' });
    });
    await job.run(inTwoMinutes);
    expect(await rowOf(id)).toMatchObject({ status: 'EXPIRING' });
  });

  it('expires a due hold (EXPIRING with ReleaseRequested EXPIRY, then EXPIRED) and leaves a not-due one HELD', async () => {
    const due = await placedHold(60);
    const notDue = await placedHold(3600);
    const job = service.app.get(ExpireHoldsJob);
    // Two minutes from now: the first hold is due, the second is not.
    const expired = await job.run(() => new Date(Date.now() + 120_000));
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await rowOf(due)).toMatchObject({ status: 'EXPIRING', version: 3 });
    expect(await rowOf(notDue)).toMatchObject({ status: 'HELD', version: 2 });
    expect((await eventsOf(due)).at(-1)).toMatchObject({
      type: 'ReleaseRequested',
      sequence: 3,
      payload: { release: 'EXPIRY' },
    });
    expect((await eventsOf(notDue)).map((e) => e.type)).toEqual(['TransferRequested']);
    // Run again: nothing is due twice.
    expect(await job.run(() => new Date(Date.now() + 120_000))).toBe(0);

    await ledgerAnswers(due, { type: 'HoldReleased', release: 'EXPIRY' });
    expect(await rowOf(due)).toMatchObject({ status: 'EXPIRED', version: 5 });
    expect((await eventsOf(due)).at(-1)).toMatchObject({ type: 'TransferExpired', sequence: 5 });
    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^oncepay_holds_expiring_total\{service="transfer-service"\} [1-9]/m);
    expect(metrics).toMatch(
      /^oncepay_transfers_settled_total\{status="EXPIRED",reason="",service="transfer-service"\} 1$/m,
    );
  });

  it('reaches the holds due after ones it cannot expire, however many of those sort first', async () => {
    const job = service.app.get(ExpireHoldsJob);
    const at = (seconds: number) => () => new Date(Date.now() + seconds * 1_000);
    await job.run(at(50)); // what earlier tests left due
    const unreadable = [await placedHold(30), await placedHold(30)];
    const due = await placedHold(40);
    // A job of batches of 2, the size of the rows it cannot read (a bug, or a row changed by hand),
    // which sort first: a batch of them expires nothing but is full, so the run goes on past them.
    const smallBatches = new ExpireHoldsJob(
      service.app.get<PgDatabase>(PG_DATABASE),
      service.app.get(OUTBOX_SIGNAL),
      service.app.get(TransferMetrics),
      new ConfigService({ HOLD_EXPIRY_INTERVAL_MS: 3_600_000, HOLD_EXPIRY_BATCH_SIZE: 2 }),
    );
    const readable = repository.toTransferState;
    const cannotRead = jest.spyOn(repository, 'toTransferState').mockImplementation((row) => {
      if (unreadable.includes(row.id)) throw new Error(`transfer ${row.id} cannot be read`);
      return readable(row);
    });
    try {
      expect(await smallBatches.run(at(50))).toBe(1);
    } finally {
      cannotRead.mockRestore();
    }
    expect(await rowOf(due)).toMatchObject({ status: 'EXPIRING' });
    for (const id of unreadable) expect(await rowOf(id)).toMatchObject({ status: 'HELD' });
    // Readable again, they expire at the next run.
    expect(await job.run(at(50))).toBe(2);
  });

  it('refuses a step on a payment (409 NOT_A_HOLD), on a failed hold (409 HOLD_FAILED), and 404s an unknown or foreign one', async () => {
    const payment = await post('/v1/transfers', {
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      amount: '10',
      currency: 'EUR',
    });
    const paymentId = String(((await payment.json()) as Json).id);
    await expectProblem(await capture(paymentId), 409, 'NOT_A_HOLD');

    const failed = String((await requestHold()).id);
    await ledgerAnswers(failed, { type: 'TransferRejected', reason: 'INSUFFICIENT_FUNDS' });
    await expectProblem(await voidHold(failed), 409, 'HOLD_FAILED');

    await expectProblem(await capture(randomUUID()), 404, 'TRANSFER_NOT_FOUND');
    const held = await placedHold();
    await expectProblem(
      await post(`/v1/transfers/${held}/void`, {}, randomUUID(), 'b'),
      404,
      'TRANSFER_NOT_FOUND',
    );
  });

  it('lists holds by their new statuses', async () => {
    const id = await placedHold();
    const response = await fetch(`${service.baseUrl}/v1/transfers?status=HELD&limit=100`, {
      headers: TEST_CLIENTS.a.auth,
    });
    const page = (await response.json()) as { data: Json[] };
    expect(page.data.find((t) => t.id === id)).toMatchObject({ kind: 'HOLD', status: 'HELD' });
    expect(page.data.every((t) => t.status === 'HELD')).toBe(true);
  });

  it.each<[string, string, unknown]>([
    ['a zero capture amount', 'capture', { amount: '0' }],
    ['a numeric capture amount', 'capture', { amount: 100 }],
    ['a fractional capture amount', 'capture', { amount: '1.5' }],
    ['an unknown field in a capture', 'capture', { amount: '1', extra: true }],
    ['a field in a void', 'void', { reason: 'changed my mind' }],
    ['malformed JSON', 'capture', '{"amount":'],
    ['a JSON array', 'void', '[]'],
  ])('answers 400 problem+json for %s, storing nothing', async (_, step, body) => {
    const id = await placedHold();
    const key = randomUUID();
    const response = await post(`/v1/transfers/${id}/${step}`, body, key);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await keyStored(key)).toBe(false);
    expect(await rowOf(id)).toMatchObject({ status: 'HELD' });
  });

  it.each<[string, unknown]>([
    ['a zero expiry', { expiresInSeconds: 0 }],
    ['an expiry over 30 days', { expiresInSeconds: 2_592_001 }],
    ['a fractional expiry', { expiresInSeconds: 1.5 }],
    ['an expiry as a string', { expiresInSeconds: '60' }],
    ['a hold without an expiry', {}],
    ['an unknown field in the hold', { expiresInSeconds: 60, capture: 'auto' }],
  ])('refuses a hold with %s (400 VALIDATION_ERROR)', async (_, hold) => {
    const response = await post('/v1/transfers', {
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      amount: '100',
      currency: 'EUR',
      hold,
    });
    await expectProblem(response, 400, 'VALIDATION_ERROR');
  });

  it('answers 400 for a step without an Idempotency-Key or with an id that is not a UUID', async () => {
    const id = await placedHold();
    await expectProblem(await post(`/v1/transfers/${id}/capture`, {}, null), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    await expectProblem(await capture('not-a-uuid'), 400, 'VALIDATION_ERROR');
  });
});
