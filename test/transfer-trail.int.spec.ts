// Proves the transfer trail (docs/adr/0013-the-transfer-trail.md) on the three real services over the
// real broker and databases: GET /v1/ops/transfers/{transferId}/trail is for operators only (401, 403,
// problem+json), answers 400 for a malformed id and an empty trail for an unknown one; a real payment's
// trail on each service lists what that service did, in time order, with the Kafka topic, partition
// and offset it read each message at; the very same envelope delivered again shows up as
// `duplicate-absorbed` in the trail of the service whose dedup absorbed it; and an older ledger answer
// delivered after the final one shows up as `stale-ignored` in transfer-service's trail, with why; and
// a hold's trail names both ledger answers it consumed, the hold placed and captured. A kind with more
// rows than a trail shows is cut, with a `truncated` entry where it was cut.
import { decodeEvent, encodeEvent, TOPICS } from '@oncepay/contracts';
import type { Trail, TrailEntry } from '@oncepay/http-edge';
import { IdempotentProducer, type ProducerRecord } from '@oncepay/messaging';
import { TRAIL_ROWS_PER_KIND } from '@oncepay/service-runtime';
import {
  bootServices,
  createPgDatabase,
  createTestKafka,
  requestJson,
  TEST_CLIENTS,
  testTopic,
  waitFor,
  type BootedServices,
} from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';

type Name = 'transfer' | 'ledger' | 'notification';
const NAMES: Name[] = ['transfer', 'ledger', 'notification'];
const asOperator = { headers: TEST_CLIENTS.operator.auth };

describe('the transfer trail across the three services', () => {
  let stack: BootedServices<Name>;
  const producer = new IdempotentProducer(createTestKafka());

  beforeAll(async () => {
    stack = await bootServices(NAMES);
    await producer.connect();
  }, 120_000);

  afterAll(async () => {
    await producer.disconnect();
    await stack?.stop();
  });

  const baseUrl = (name: Name) => stack.baseUrl(name);
  const trailPath = (transferId: string) => `/v1/ops/transfers/${transferId}/trail`;

  async function trailOf(name: Name, transferId: string): Promise<Trail> {
    const response = await requestJson(baseUrl(name), 'GET', trailPath(transferId), asOperator);
    expect(response.status).toBe(200);
    return response.body as Trail;
  }

  function waitForTrail(name: Name, transferId: string, done: (entries: TrailEntry[]) => boolean) {
    return waitFor(
      () => trailOf(name, transferId),
      (trail) => done(trail.entries),
      { timeoutMs: 60_000, what: `${name}'s trail of ${transferId}` },
    );
  }

  /** The outbox row of `type` for the transfer, once the relay sent it, as it went on the wire. */
  async function sentEnvelope(name: Name, transferId: string, type: string): Promise<ProducerRecord> {
    const { db, end } = createPgDatabase(stack.database(name).adminUrl);
    try {
      const [row] = await waitFor(
        () =>
          db.query<{ topic: string; key: string; value: string; headers: Record<string, string> }[]>(
            `SELECT topic, key, value, headers FROM outbox_messages
              WHERE key = $1 AND value::jsonb ->> 'type' = $2 AND status = 'SENT'`,
            transferId,
            type,
          ),
        (rows) => rows.length === 1,
        { timeoutMs: 60_000, what: `${name}'s ${type} of ${transferId} to be sent` },
      );
      if (row === undefined) throw new Error('unreachable: waited for one row');
      return { ...row, topic: testTopic(row.topic) };
    } finally {
      await end();
    }
  }

  function idOf(record: ProducerRecord): string {
    const decoded = decodeEvent(record.value);
    if (!decoded.ok) throw new Error(`an outbox row did not decode: ${decoded.reason}`);
    return decoded.event.id;
  }

  async function open(allowNegativeBalance: boolean): Promise<string> {
    const response = await requestJson(baseUrl('ledger'), 'POST', '/v1/accounts', {
      ...asOperator,
      body: { currency: 'EUR', allowNegativeBalance },
    });
    expect(response.status).toBe(201);
    return (response.body as { id: string }).id;
  }

  /** POSTs as the operator and answers the transfer's id. */
  async function transfer(path: string, body: unknown): Promise<string> {
    const response = await requestJson(baseUrl('transfer'), 'POST', path, {
      headers: { ...asOperator.headers, 'idempotency-key': randomUUID() },
      body,
    });
    expect(response.status).toBe(202);
    return (response.body as { id: string }).id;
  }

  function expectTimeOrder(entries: TrailEntry[]): void {
    const instants = entries.map((entry) => Date.parse(entry.at));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
  }

  function expectReadAt(entry: TrailEntry | undefined, topic: string): void {
    expect(entry).toMatchObject({ topic: testTopic(topic) });
    expect(entry?.partition).toEqual(expect.any(Number));
    expect(entry?.offset).toMatch(/^[0-9]+$/);
  }

  it.each(NAMES)(
    '%s: operators only, problem+json, 400 for a malformed id, empty when unknown',
    async (name) => {
      const id = randomUUID();
      const anonymous = await requestJson(baseUrl(name), 'GET', trailPath(id));
      expect(anonymous.status).toBe(401);
      expect(anonymous.contentType).toContain('application/problem+json');
      const client = await requestJson(baseUrl(name), 'GET', trailPath(id), {
        headers: TEST_CLIENTS.a.auth,
      });
      expect(client.status).toBe(403);
      expect(client.contentType).toContain('application/problem+json');
      expect(client.body).toMatchObject({ code: 'OPERATOR_ROLE_REQUIRED' });
      const malformed = await requestJson(baseUrl(name), 'GET', trailPath('not-a-uuid'), asOperator);
      expect(malformed.status).toBe(400);
      expect(malformed.contentType).toContain('application/problem+json');
      expect(await trailOf(name, id)).toEqual({ service: name, transferId: id, entries: [] });
    },
  );

  it.each(NAMES)(
    '%s: shows at most TRAIL_ROWS_PER_KIND rows of a kind, and a truncated entry where it cut',
    async (name) => {
      const transferId = randomUUID();
      const { db, end } = createPgDatabase(stack.database(name).adminUrl);
      try {
        // One more absorbed duplicate than a trail shows, a second apart, as a redelivery loop would leave.
        await db.execute(
          `INSERT INTO absorbed_duplicates
             (consumer, message_id, aggregate_id, topic, kafka_partition, kafka_offset, absorbed_at)
           SELECT 'c', gen_random_uuid(), $1::uuid, 't', 0, i,
                  timestamptz '2026-11-30T10:00:00Z' + make_interval(secs => i)
             FROM generate_series(0, $2::int) AS i`,
          transferId,
          TRAIL_ROWS_PER_KIND,
        );
      } finally {
        await end();
      }
      const { entries } = await trailOf(name, transferId);
      expect(entries).toHaveLength(TRAIL_ROWS_PER_KIND + 1);
      expect(entries.filter((entry) => entry.kind === 'duplicate-absorbed')).toHaveLength(
        TRAIL_ROWS_PER_KIND,
      );
      // The oldest are shown; the cut sits at the last one shown.
      expect(entries.at(-1)).toEqual({
        at: new Date(Date.parse('2026-11-30T10:00:00Z') + (TRAIL_ROWS_PER_KIND - 1) * 1_000).toISOString(),
        kind: 'truncated',
        summary: `Showed the first ${TRAIL_ROWS_PER_KIND} duplicates absorbed; there are more, not shown.`,
      });
    },
  );

  it('follows a payment through each service, then a duplicate delivery and a stale answer where they happened', async () => {
    // The operator funds an account of its own from its treasury: a payment that COMPLETES.
    const [treasury, account] = [await open(true), await open(false)];
    const transferId = await transfer('/v1/transfers', {
      fromAccountId: treasury,
      toAccountId: account,
      amount: '1250',
      currency: 'EUR',
    });

    const requested = await sentEnvelope('transfer', transferId, 'TransferRequested');
    const posted = await sentEnvelope('ledger', transferId, 'TransferPosted');
    const completed = await sentEnvelope('transfer', transferId, 'TransferCompleted');
    const notified = await waitForTrail('notification', transferId, (entries) =>
      entries.some((entry) => entry.kind === 'notification'),
    );

    // transfer-service: accepted, its two outbox rows, the answer it consumed (read where), its status.
    const transferTrail = await trailOf('transfer', transferId);
    expectTimeOrder(transferTrail.entries);
    const kinds = transferTrail.entries.map((entry) => entry.kind);
    expect([...kinds].sort()).toEqual(['accepted', 'consumed', 'outbox-row', 'outbox-row', 'status']);
    expect(transferTrail.entries.find((entry) => entry.kind === 'accepted')?.summary).toContain('1250 EUR');
    const consumedAnswer = transferTrail.entries.find((entry) => entry.kind === 'consumed');
    expect(consumedAnswer).toMatchObject({
      eventId: idOf(posted),
      consumer: 'transfer-service.record-ledger-result',
    });
    expectReadAt(consumedAnswer, TOPICS.ledgerResults);
    expect(transferTrail.entries.filter((entry) => entry.kind === 'outbox-row')).toMatchObject([
      { eventId: idOf(requested), eventType: 'TransferRequested', status: 'SENT' },
      { eventId: idOf(completed), eventType: 'TransferCompleted', status: 'SENT' },
    ]);
    // The answer and the final event it caused: consumed first.
    expect(kinds.indexOf('consumed')).toBeLessThan(kinds.lastIndexOf('outbox-row'));
    expect(transferTrail.entries.find((entry) => entry.kind === 'status')).toMatchObject({
      status: 'COMPLETED',
    });

    // ledger: the request it consumed (read where), its decision, two postings, the answer's outbox row.
    const ledger = await trailOf('ledger', transferId);
    expectTimeOrder(ledger.entries);
    // (In time order as recorded: the decision's and postings' instants come from the service's clock,
    // the dedup record's and outbox row's from the database's transaction start, so no order between
    // the two kinds of instants is asserted.)
    const ofKind = (kind: string) => ledger.entries.filter((entry) => entry.kind === kind);
    expect(ledger.entries.map((entry) => entry.kind).sort()).toEqual([
      'consumed',
      'decision',
      'outbox-row',
      'posting',
      'posting',
    ]);
    expect(ofKind('consumed')[0]).toMatchObject({
      eventId: idOf(requested),
      consumer: 'ledger-service.post-transfer',
    });
    expectReadAt(ofKind('consumed')[0], TOPICS.transferRequests);
    expect(ofKind('decision')[0]).toMatchObject({ status: 'POSTED' });
    expect(ofKind('posting').map((entry) => entry.status)).toEqual(['DEBIT', 'CREDIT']);
    expect(ofKind('outbox-row')[0]).toMatchObject({ eventId: idOf(posted), eventType: 'TransferPosted' });

    // notification-service: the outcome it consumed (read where), then the notification.
    expectTimeOrder(notified.entries);
    const consumedOutcome = notified.entries.find((entry) => entry.kind === 'consumed');
    expect(consumedOutcome).toMatchObject({ eventId: idOf(completed) });
    expectReadAt(consumedOutcome, TOPICS.transferOutcomes);

    // The same three envelopes again, byte for byte: each service's dedup absorbs its copy.
    await producer.send([requested, posted, completed]);
    const absorbedBy = async (name: Name, record: ProducerRecord, topic: string) => {
      const trail = await waitForTrail(name, transferId, (entries) =>
        entries.some((entry) => entry.kind === 'duplicate-absorbed'),
      );
      expectTimeOrder(trail.entries);
      const absorbed = trail.entries.filter((entry) => entry.kind === 'duplicate-absorbed');
      expect(absorbed).toHaveLength(1);
      expect(absorbed[0]).toMatchObject({ eventId: idOf(record), marks: ['duplicate-absorbed'] });
      expectReadAt(absorbed[0], topic);
      return trail;
    };
    await absorbedBy('ledger', requested, TOPICS.transferRequests);
    await absorbedBy('transfer', posted, TOPICS.ledgerResults);
    const afterDuplicate = await absorbedBy('notification', completed, TOPICS.transferOutcomes);
    expect(afterDuplicate.entries.filter((entry) => entry.kind === 'notification')).toHaveLength(1);

    // An older answer (TransferPosted, sequence 2) under a new id, after the final one: the state machine
    // ignores it as stale, and the trail says where it was read and the transfer's version then.
    const decoded = decodeEvent(posted.value);
    if (!decoded.ok) throw new Error(decoded.reason);
    const staleId = randomUUID();
    await producer.send([{ topic: posted.topic, ...encodeEvent({ ...decoded.event, id: staleId }) }]);
    const afterStale = await waitForTrail('transfer', transferId, (entries) =>
      entries.some((entry) => entry.kind === 'stale-ignored'),
    );
    expectTimeOrder(afterStale.entries);
    const stale = afterStale.entries.find((entry) => entry.kind === 'stale-ignored');
    expect(stale).toMatchObject({
      eventId: staleId,
      eventType: 'TransferPosted',
      status: 'stale',
      marks: ['stale-ignored'],
      consumer: 'transfer-service.record-ledger-result',
    });
    expect(stale?.summary).toMatch(/sequence 2\b.*version 3: stale/);
    expectReadAt(stale, TOPICS.ledgerResults);
    expect(afterStale.entries.find((entry) => entry.kind === 'status')).toMatchObject({
      status: 'COMPLETED',
    });
  });
  it('follows a hold to its capture: both ledger answers consumed, the hold placed and captured', async () => {
    const [treasury, account] = [await open(true), await open(false)];
    const holdId = await transfer('/v1/transfers', {
      fromAccountId: treasury,
      toAccountId: account,
      amount: '900',
      currency: 'EUR',
      hold: { expiresInSeconds: 3600 },
    });
    const placed = await sentEnvelope('ledger', holdId, 'HoldPlaced');
    // While HELD, the transfer's last applied event names the HoldPlaced it consumed.
    const held = await waitForTrail('transfer', holdId, (entries) =>
      entries.some((entry) => entry.kind === 'status' && entry.status === 'HELD'),
    );
    expect(held.entries.filter((entry) => entry.kind === 'consumed')).toMatchObject([
      { eventId: idOf(placed) },
    ]);

    expect(await transfer(`/v1/transfers/${holdId}/capture`, { amount: '400' })).toBe(holdId);
    const captured = await sentEnvelope('ledger', holdId, 'HoldCaptured');
    const after = await waitForTrail('transfer', holdId, (entries) =>
      entries.some((entry) => entry.kind === 'status' && entry.status === 'CAPTURED'),
    );
    expectTimeOrder(after.entries);
    // CaptureRequested names the HoldPlaced, TransferCaptured the HoldCaptured: both found by id.
    const consumed = after.entries.filter((entry) => entry.kind === 'consumed');
    expect(consumed.map((entry) => entry.eventId)).toEqual([idOf(placed), idOf(captured)]);
    for (const entry of consumed) expectReadAt(entry, TOPICS.ledgerResults);
    expect(
      after.entries.filter((entry) => entry.kind === 'outbox-row').map((entry) => entry.eventType),
    ).toEqual(['TransferRequested', 'CaptureRequested', 'TransferCaptured']);

    const ledger = await waitForTrail('ledger', holdId, (entries) =>
      entries.some((entry) => entry.kind === 'hold' && entry.status === 'CAPTURED'),
    );
    expectTimeOrder(ledger.entries);
    const ofKind = (kind: string) => ledger.entries.filter((entry) => entry.kind === kind);
    expect(ofKind('consumed')).toHaveLength(2);
    expect(ofKind('hold').map((entry) => entry.status)).toEqual(['ACTIVE', 'CAPTURED']);
    expect(ofKind('hold')[1]?.summary).toContain('captured 400 of 900');
    expect(ofKind('posting').map((entry) => entry.status)).toEqual(['DEBIT', 'CREDIT']);
    expect(ofKind('outbox-row').map((entry) => entry.eventType)).toEqual(['HoldPlaced', 'HoldCaptured']);
  });
});
