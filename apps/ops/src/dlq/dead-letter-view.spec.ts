// Proves what an operator reads about a dead letter: the event, transfer, group, time and reason taken
// from the message's headers and its decoded value; an undecodable value said to be one; the list's
// columns and counts; and `show` with every header and the event pretty-printed.
import { encodeEvent } from '@oncepay/contracts';
import { deadLetterRecord, NOT_SETTLED, type IncomingMessage } from '@oncepay/messaging';
import { sampleTransferRequested } from '@oncepay/test-support';
import { formatList, formatShow, leftUndoneByDiscard, showJson, viewOf } from './dead-letter-view';

const event = sampleTransferRequested();

function deadLetterOf(value: string, offset = '4'): IncomingMessage {
  const encoded = encodeEvent(event);
  const record = deadLetterRecord(
    {
      topic: 'oncepay.transfer-requests.v1',
      partition: 2,
      offset: '40',
      key: encoded.key,
      value: Buffer.from(value),
      headers: encoded.headers,
    },
    {
      reason: 'handler failed: Error: boom',
      consumerGroup: 'ledger-service',
      attempts: 5,
      failedAt: new Date('2026-11-30T12:00:00Z'),
    },
  );
  return {
    topic: record.topic,
    partition: 1,
    offset,
    key: record.key,
    value: Buffer.from(record.value),
    headers: record.headers,
  };
}

describe('viewOf', () => {
  it('names the ref, the event, its transfer and why and when the consumer gave up', () => {
    expect(viewOf(deadLetterOf(encodeEvent(event).value))).toEqual({
      ref: 'oncepay.transfer-requests.v1.dlt/1/4',
      eventType: 'TransferRequested',
      eventId: event.id,
      transferId: event.aggregateId,
      undecodable: null,
      originalTopic: 'oncepay.transfer-requests.v1',
      consumerGroup: 'ledger-service',
      reason: 'handler failed: Error: boom',
      failedAt: '2026-11-30T12:00:00.000Z',
      attempts: 5,
    });
  });

  it('says why a value does not decode, and names no event', () => {
    const view = viewOf(deadLetterOf('not an event'));
    expect(view).toMatchObject({
      eventType: null,
      eventId: null,
      transferId: null,
      undecodable: 'value is not valid JSON',
    });
  });
});

describe('formatList', () => {
  it('counts per topic, then one aligned line per dead letter', () => {
    const views = [viewOf(deadLetterOf(encodeEvent(event).value)), viewOf(deadLetterOf('junk', '5'))];
    const text = formatList(
      [
        { topic: 'oncepay.transfer-requests.v1.dlt', waiting: 2n },
        { topic: 'oncepay.ledger-results.v1.dlt', waiting: 0n },
      ],
      views,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      '2 dead letters waiting (oncepay.transfer-requests.v1.dlt 2, oncepay.ledger-results.v1.dlt 0)',
    );
    expect(lines[2]).toMatch(/^REF +EVENT +EVENT ID +TRANSFER ID +GROUP +FAILED AT +REASON$/);
    expect(lines[3]).toContain(
      `oncepay.transfer-requests.v1.dlt/1/4  TransferRequested  ${event.id}  ${event.aggregateId}`,
    );
    expect(lines[4]).toMatch(
      /^oncepay\.transfer-requests\.v1\.dlt\/1\/5 +\(undecodable\) +- +- +ledger-service /,
    );
    // Columns line up: every row's EVENT starts where the header's does.
    const at = (lines[2] as string).indexOf('EVENT');
    expect(lines.slice(3).map((line) => line.slice(at, at + 1))).toEqual(['T', '(']);
  });

  it('says when nothing waits', () => {
    expect(formatList([{ topic: 't.dlt', waiting: 0n }], [])).toBe('0 dead letters waiting (t.dlt 0)');
  });
});

describe('formatShow and showJson', () => {
  it('print every header and the event, pretty', () => {
    const message = deadLetterOf(encodeEvent(event).value);
    const text = formatShow(message, 'waiting');
    expect(text).toContain('status       waiting');
    expect(text).toContain('  x-dlt-reason: handler failed: Error: boom');
    expect(text).toContain('  x-dlt-consumer-group: ledger-service');
    expect(text).toContain(`    "id": "${event.id}",`);
    expect(JSON.parse(showJson(message, 'waiting'))).toMatchObject({
      status: 'waiting',
      eventId: event.id,
      headers: { 'x-dlt-original-offset': '40' },
      event: { id: event.id, type: 'TransferRequested' },
    });
  });

  it('print an undecodable value as it arrived', () => {
    const text = formatShow(deadLetterOf('not an event'), 'waiting');
    expect(text).toContain('event        (undecodable: value is not valid JSON)');
    expect(text).toMatch(/value \(as it arrived\)\n {2}not an event$/);
  });
});

describe('leftUndoneByDiscard', () => {
  const view = viewOf(deadLetterOf(encodeEvent(event).value));

  it('is nothing for a transfer request the ledger settled as it dead-lettered it', () => {
    expect(leftUndoneByDiscard(view)).toBeNull();
  });

  it('names a request dead-lettered unsettled, any other event and an undecodable message', () => {
    const unsettled = { ...view, reason: `handler failed: boom${NOT_SETTLED} the database refused` };
    expect(leftUndoneByDiscard(unsettled)).toBe(
      `TransferRequested ${event.id} of transfer ${event.aggregateId} will never be handled by ledger-service: ` +
        'what it would have done is not done (a transfer may stay where it is; npm run audit names it)',
    );
    expect(leftUndoneByDiscard({ ...view, eventType: 'TransferPosted' })).toMatch(
      /^TransferPosted .* will never be handled by ledger-service/,
    );
    expect(leftUndoneByDiscard(viewOf(deadLetterOf('not json')))).toMatch(
      /^an undecodable message will never be handled by ledger-service/,
    );
  });
});
