// Proves the pure half of the dead-letter way out: refs print and parse back, a bad ref is named, and a
// replay record is the original message again (key, value, headers) without the dead-letter headers,
// its value byte for byte.
import { encodeEvent } from '@oncepay/contracts';
import { sampleTransferRequested } from '@oncepay/test-support';
import { deadLetterRecord } from './dead-letter';
import { formatDeadLetterRef, parseDeadLetterRef, replayRecordOf, REPLAY_HEADERS } from './dead-letter-queue';
import type { IncomingMessage } from './incoming-message';

describe('dead-letter refs', () => {
  it('print as topic/partition/offset and parse back', () => {
    const ref = { topic: 'staging.oncepay.ledger-results.v1.dlt', partition: 2, offset: '9007199254740993' };
    expect(formatDeadLetterRef(ref)).toBe('staging.oncepay.ledger-results.v1.dlt/2/9007199254740993');
    expect(parseDeadLetterRef(formatDeadLetterRef(ref))).toEqual(ref);
  });

  it.each(['oncepay.ledger-results.v1.dlt', 'a/b/c', 'a/1/-1', 'a/1/1/1', 'a b/1/1', ''])(
    'refuses %j with a sentence',
    (text) => {
      expect(parseDeadLetterRef(text)).toEqual(expect.stringContaining('is not a dead-letter ref'));
    },
  );
});

describe('replayRecordOf', () => {
  const encoded = encodeEvent(sampleTransferRequested());
  const original: IncomingMessage = {
    topic: 'oncepay.transfer-requests.v1',
    partition: 1,
    offset: '41',
    key: encoded.key,
    value: Buffer.from(encoded.value),
    headers: { ...encoded.headers, traceparent: '00-abc-def-01' },
  };
  const record = deadLetterRecord(original, {
    reason: 'handler failed: boom',
    consumerGroup: 'ledger-service',
    attempts: 5,
    failedAt: new Date('2026-11-30T12:00:00Z'),
  });
  const deadLetter: IncomingMessage = {
    topic: record.topic,
    partition: 0,
    offset: '3',
    key: record.key,
    value: Buffer.from(record.value),
    headers: record.headers,
  };

  it('is the original message on its original topic, marked as a replay', () => {
    const replayedAt = new Date('2026-11-30T13:00:00Z');
    expect(replayRecordOf(deadLetter, replayedAt)).toEqual({
      topic: 'oncepay.transfer-requests.v1',
      key: original.key,
      value: original.value,
      headers: {
        ...original.headers,
        [REPLAY_HEADERS.replayedFrom]: 'oncepay.transfer-requests.v1.dlt/0/3',
        [REPLAY_HEADERS.replayedAt]: '2026-11-30T13:00:00.000Z',
      },
    });
  });

  it('keeps bytes that are not UTF-8, in the dead letter and in its replay', () => {
    // Latin-1 "café" and a lone 0xff: decoded as UTF-8 they would come back as U+FFFD, not as themselves.
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff]);
    const letter = deadLetterRecord(
      { ...original, value: bytes },
      {
        reason: 'undecodable',
        consumerGroup: 'ledger-service',
        attempts: 1,
        failedAt: new Date(),
      },
    );
    expect(letter.value.equals(bytes)).toBe(true);
    const replay = replayRecordOf({ ...deadLetter, value: letter.value }, new Date());
    expect(typeof replay !== 'string' && Buffer.isBuffer(replay.value) && replay.value.equals(bytes)).toBe(
      true,
    );
  });

  it('refuses a message whose original topic is missing or is not the one of its dead-letter topic', () => {
    const withoutOrigin = Object.fromEntries(
      Object.entries(deadLetter.headers).filter(([name]) => name !== 'x-dlt-original-topic'),
    );
    expect(replayRecordOf({ ...deadLetter, headers: withoutOrigin }, new Date())).toEqual(
      expect.stringContaining('has no x-dlt-original-topic header'),
    );
    const elsewhere = { ...deadLetter.headers, 'x-dlt-original-topic': 'oncepay.ledger-results.v1' };
    expect(replayRecordOf({ ...deadLetter, headers: elsewhere }, new Date())).toEqual(expect.any(String));
  });
});
