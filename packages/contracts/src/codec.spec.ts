// Proves the codec is a strict edge: a valid event survives the round trip with its bigint amount
// intact, and every kind of malformed message is refused with a reason instead of an exception.
import { randomUUID } from 'node:crypto';
import { sampleTransferRequested } from '@oncepay/test-support';
import { decodeEvent, encodeEvent } from './codec';
import type { TransferRequested } from './events';
import { MAX_AMOUNT_MINOR } from './money';

const requested = (amountMinor = 12_345n): TransferRequested => sampleTransferRequested({ amountMinor });

/** Encodes a valid event, lets `mutate` damage its JSON, and decodes the result. */
function decodeMutated(
  mutate: (json: Record<string, unknown> & { payload: Record<string, unknown> }) => void,
) {
  const json = JSON.parse(encodeEvent(requested()).value);
  mutate(json);
  return decodeEvent(Buffer.from(JSON.stringify(json)));
}

describe('event codec', () => {
  it('round-trips an event, money as a string on the wire and a bigint in code', () => {
    const event = requested(MAX_AMOUNT_MINOR);
    const encoded = encodeEvent(event);
    expect(encoded.key).toBe(event.aggregateId);
    expect(JSON.parse(encoded.value).payload.amountMinor).toBe('9223372036854775807');
    expect(encoded.headers).toMatchObject({
      'event-id': event.id,
      'event-type': 'TransferRequested',
      'schema-version': '1',
    });
    expect(decodeEvent(Buffer.from(encoded.value))).toEqual({ ok: true, event });
  });

  it.each([
    ['an empty value', null, /empty/],
    ['bytes that are not JSON', Buffer.from('{nope'), /not valid JSON/],
    ['a JSON array', Buffer.from('[]'), /invalid envelope/],
  ])('refuses %s', (_, value, reason) => {
    expect(decodeEvent(value)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it.each<[string, (json: Record<string, unknown> & { payload: Record<string, unknown> }) => void, RegExp]>([
    ['a missing id', (j) => delete j.id, /invalid envelope: id/],
    ['an id that is not a UUID', (j) => (j.id = 'abc'), /invalid envelope: id/],
    ['an unknown event type', (j) => (j.type = 'TransferExploded'), /unknown event type "TransferExploded"/],
    ['a schema version it does not read', (j) => (j.schemaVersion = 2), /unsupported schemaVersion 2/],
    ['a sequence of zero', (j) => (j.sequence = 0), /invalid envelope: sequence/],
    ['an unknown envelope field', (j) => (j.extra = true), /invalid envelope/],
    ['a zero amount', (j) => (j.payload.amountMinor = '0'), /payload: amountMinor/],
    ['a negative amount', (j) => (j.payload.amountMinor = '-5'), /payload: amountMinor/],
    ['a fractional amount', (j) => (j.payload.amountMinor = '10.5'), /payload: amountMinor/],
    ['an amount as a JSON number', (j) => (j.payload.amountMinor = 100), /payload: amountMinor/],
    ['an amount over 2^63-1', (j) => (j.payload.amountMinor = '9223372036854775808'), /payload: amountMinor/],
    ['a lower-case currency', (j) => (j.payload.currency = 'eur'), /payload: currency/],
    ['an unknown payload field', (j) => (j.payload.bonus = '1'), /invalid TransferRequested payload/],
    [
      'a payload for another transfer',
      (j) => (j.payload.transferId = randomUUID()),
      /differs from aggregateId/,
    ],
  ])('refuses %s', (_, mutate, reason) => {
    expect(decodeMutated(mutate)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});
