// Proves the shared trail entries say what happened and where: an outbox row with its status and
// attempts (a dead letter named as one, with the event it carries), a consumed message and an absorbed duplicate with the topic, partition and offset they were
// read at, and no position at all for a dedup record written before the trail kept one; and a kind with
// more rows than a trail shows is cut, with a `truncated` entry where the cut is.
import {
  absorbedEntry,
  capTrailRows,
  causesOf,
  consumedEntry,
  outboxRowEntry,
  TRAIL_QUERY_LIMIT,
  TRAIL_ROWS_PER_KIND,
} from './trail-records';

const at = new Date('2026-11-30T10:00:00.000Z');
const id = '0b7e5f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('trail entries of the shared tables', () => {
  it('describes an outbox row, sent or not', () => {
    const row = {
      event_id: id,
      topic: 'oncepay.transfer-requests',
      event_type: 'TransferRequested',
      causation_id: null,
      status: 'SENT',
      attempts: 1,
      created_at: at,
      sent_at: new Date('2026-11-30T10:00:00.020Z'),
    };
    expect(outboxRowEntry(row)).toEqual({
      at: '2026-11-30T10:00:00.000Z',
      kind: 'outbox-row',
      summary:
        'Wrote TransferRequested to the outbox for oncepay.transfer-requests: SENT, sent at 2026-11-30T10:00:00.020Z after 1 attempt.',
      eventId: id,
      eventType: 'TransferRequested',
      topic: 'oncepay.transfer-requests',
      status: 'SENT',
    });
    expect(outboxRowEntry({ ...row, status: 'PENDING', sent_at: null, attempts: 2 }).summary).toContain(
      'PENDING, not sent yet (2 attempts)',
    );
  });

  it('names a dead letter and the event it carries', () => {
    const row = {
      event_id: id,
      topic: 'staging.oncepay.transfer-requests.v1.dlt',
      event_type: 'TransferRequested',
      causation_id: null,
      status: 'PENDING',
      attempts: 0,
      created_at: at,
      sent_at: null,
    };
    expect(outboxRowEntry(row)).toMatchObject({
      summary: `Wrote the dead letter of TransferRequested ${id} to the outbox for staging.oncepay.transfer-requests.v1.dlt: PENDING, not sent yet (0 attempts).`,
      eventId: id,
      eventType: 'TransferRequested',
    });
  });

  it('gives a consumed message and an absorbed duplicate their Kafka position', () => {
    const read = { topic: 'oncepay.ledger-results', kafka_partition: 1, kafka_offset: '9007199254740993' };
    expect(consumedEntry({ consumer: 'c', message_id: id, processed_at: at, ...read }, 'the answer')).toEqual(
      {
        at: '2026-11-30T10:00:00.000Z',
        kind: 'consumed',
        summary: `Consumed the answer ${id} from oncepay.ledger-results partition 1 offset 9007199254740993 and processed it.`,
        eventId: id,
        topic: 'oncepay.ledger-results',
        partition: 1,
        offset: '9007199254740993',
        consumer: 'c',
      },
    );
    expect(absorbedEntry({ consumer: 'c', message_id: id, absorbed_at: at, ...read })).toMatchObject({
      kind: 'duplicate-absorbed',
      partition: 1,
      offset: '9007199254740993',
      marks: ['duplicate-absorbed'],
    });
  });

  it('leaves the position out for a record written without one', () => {
    const entry = consumedEntry(
      {
        consumer: 'c',
        message_id: id,
        processed_at: at,
        topic: null,
        kafka_partition: null,
        kafka_offset: null,
      },
      'the answer',
    );
    expect(entry).not.toHaveProperty('topic');
    expect(entry).not.toHaveProperty('partition');
    expect(entry.summary).toBe(`Consumed the answer ${id} and processed it.`);
  });
});

describe('capTrailRows', () => {
  /** `n` rows a second apart, as a trail query returns them: in time order. */
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      i,
      at: new Date(Date.parse('2026-11-30T10:00:00Z') + i * 1_000),
    }));

  it('keeps every row and adds nothing up to the limit', () => {
    expect(TRAIL_QUERY_LIMIT).toBe(TRAIL_ROWS_PER_KIND + 1);
    for (const n of [0, 1, TRAIL_ROWS_PER_KIND]) {
      const capped = capTrailRows(rows(n), 'journal entries', (row) => row.at);
      expect(capped.rows).toHaveLength(n);
      expect(capped.truncated).toEqual([]);
    }
  });

  it('cuts the rows past the limit and says so at the last row shown', () => {
    const capped = capTrailRows(rows(TRAIL_QUERY_LIMIT), 'journal entries', (row) => row.at);
    expect(capped.rows).toHaveLength(TRAIL_ROWS_PER_KIND);
    expect(capped.rows.at(-1)?.i).toBe(TRAIL_ROWS_PER_KIND - 1);
    expect(capped.truncated).toEqual([
      {
        at: new Date(Date.parse('2026-11-30T10:00:00Z') + (TRAIL_ROWS_PER_KIND - 1) * 1_000).toISOString(),
        kind: 'truncated',
        summary: `Showed the first ${TRAIL_ROWS_PER_KIND} journal entries; there are more, not shown.`,
      },
    ]);
  });
});

describe('causesOf', () => {
  it('gives the causation ids of the outbox rows that have one, in order', () => {
    const row = (causation_id: string | null) => ({
      event_id: id,
      topic: 't',
      event_type: 'E',
      causation_id,
      status: 'SENT',
      attempts: 1,
      created_at: at,
      sent_at: at,
    });
    expect(causesOf([row('a'), row(null), row('b')])).toEqual(['a', 'b']);
  });

  it("gives a dead letter's own event: its handler wrote the row", () => {
    const deadLetter = {
      event_id: 'request',
      topic: 'oncepay.transfer-requests.v1.dlt',
      event_type: 'TransferRequested',
      causation_id: 'accept',
      status: 'SENT',
      attempts: 1,
      created_at: at,
      sent_at: at,
    };
    expect(causesOf([deadLetter])).toEqual(['request']);
  });
});
