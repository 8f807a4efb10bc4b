// Proves the codec is a strict edge: a valid event survives the round trip with its bigint amounts
// intact, and every kind of malformed message is refused with a reason instead of an exception;
// including the kind of a transfer: a hold's events carry holdExpiresAt, a refund's refundOf, a
// payment's neither, and no event is of two kinds, a posted hold or a refund of itself; and every id
// decodes in lower case.
import { randomUUID } from 'node:crypto';
import { sampleTransferRequested } from '@oncepay/test-support';
import { createEvent, decodeEvent, encodeEvent } from './codec';
import {
  EVENT_TYPES,
  type EventOf,
  type EventType,
  type OncePayEvent,
  type Release,
  type TransferFacts,
  type TransferRequested,
} from './events';
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
    // A Latin-1 "é" inside a string: read leniently it would decode, with U+FFFD in its place.
    [
      'bytes that are not UTF-8',
      Buffer.concat([Buffer.from('{"id":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
      /not valid UTF-8/,
    ],
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
    // transfer-service keeps a transfer's version, its last sequence, as a 32-bit integer.
    ['a sequence over 2^31 - 1', (j) => (j.sequence = 2 ** 31), /invalid envelope: sequence/],
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

  it('takes a sequence of 2^31 - 1', () => {
    expect(decodeMutated((j) => (j.sequence = 2 ** 31 - 1)).ok).toBe(true);
  });

  it('decodes every id in lower case, however a producer spelt it', () => {
    const event = requested();
    const json = JSON.parse(encodeEvent(event).value);
    const causationId = randomUUID();
    Object.assign(json, {
      id: json.id.toUpperCase(),
      aggregateId: json.aggregateId.toUpperCase(),
      causationId: causationId.toUpperCase(),
    });
    for (const field of ['transferId', 'fromAccountId', 'toAccountId'])
      json.payload[field] = json.payload[field].toUpperCase();
    json.payload.transferId = json.payload.transferId.toLowerCase(); // the two spellings still agree

    const decoded = decodeEvent(JSON.stringify(json));

    expect(decoded).toEqual({ ok: true, event: { ...event, causationId } });
  });
});

const PAYMENT: TransferFacts = {
  transferId: '0b9d7c3e-6f0a-4d8e-9a51-2c1f3e4d5a60',
  clientId: 'demo-a',
  fromAccountId: '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10',
  toAccountId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c60',
  amountMinor: 12_345n,
  currency: 'EUR',
  reference: null,
};
const HOLD = { ...PAYMENT, holdExpiresAt: '2025-01-09T03:04:05.000Z' };
const REFUND = { ...PAYMENT, refundOf: '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a' };
const AT = '2025-01-02T03:04:05.000Z';

/** An event of `type` for `facts`, with every field the type has beyond them. */
function eventOf(type: EventType, facts: TransferFacts, release: Release = 'VOID'): OncePayEvent {
  const hold = { ...facts, holdExpiresAt: facts.holdExpiresAt ?? '' };
  const meta = {
    id: randomUUID(),
    occurredAt: new Date(AT),
    producer: 'test',
    sequence: 2,
    correlationId: 'req-1',
    causationId: randomUUID(),
  };
  const captureAmountMinor = MAX_AMOUNT_MINOR - 1n;
  const payloads: { [T in EventType]: EventOf<T>['payload'] } = {
    TransferRequested: facts,
    TransferPosted: { ...facts, postedAt: AT },
    TransferRejected: { ...facts, reason: 'INSUFFICIENT_FUNDS' },
    TransferCompleted: facts,
    TransferFailed: { ...facts, reason: 'INSUFFICIENT_FUNDS' },
    HoldPlaced: { ...hold, heldAt: AT },
    CaptureRequested: { ...hold, captureAmountMinor },
    HoldCaptured: { ...hold, captureAmountMinor, postedAt: AT },
    TransferCaptured: { ...hold, captureAmountMinor },
    ReleaseRequested: { ...hold, release },
    HoldReleased: { ...hold, release, releasedAt: AT },
    TransferVoided: hold,
    TransferExpired: hold,
  };
  // `createEvent` cannot narrow the payload by a runtime type; the table above is typed per type.
  return createEvent(type as 'TransferRequested', payloads[type] as TransferFacts, meta) as OncePayEvent;
}

/** Encodes `event` with its JSON payload changed by `mutate`, and decodes the result. */
function decodeWith(event: OncePayEvent, mutate: (payload: Record<string, unknown>) => void) {
  const json = JSON.parse(encodeEvent(event).value);
  mutate(json.payload);
  return decodeEvent(JSON.stringify(json));
}

const HOLD_ONLY: EventType[] = [
  'HoldPlaced',
  'CaptureRequested',
  'HoldCaptured',
  'TransferCaptured',
  'ReleaseRequested',
  'HoldReleased',
  'TransferVoided',
  'TransferExpired',
];
const ONE_STEP_ONLY: EventType[] = ['TransferPosted', 'TransferCompleted'];
const ANY_KIND: EventType[] = ['TransferRequested', 'TransferRejected', 'TransferFailed'];

describe('event codec: holds and refunds', () => {
  it('sorts every event type into exactly one of the lists below', () => {
    expect([...HOLD_ONLY, ...ONE_STEP_ONLY, ...ANY_KIND].sort()).toEqual([...EVENT_TYPES].sort());
  });

  const roundTrips: [string, OncePayEvent][] = [
    ...[...HOLD_ONLY, ...ANY_KIND].map((type): [string, OncePayEvent] => [
      `${type} of a hold`,
      eventOf(type, HOLD),
    ]),
    ['ReleaseRequested EXPIRY', eventOf('ReleaseRequested', HOLD, 'EXPIRY')],
    ['HoldReleased EXPIRY', eventOf('HoldReleased', HOLD, 'EXPIRY')],
    ...[...ONE_STEP_ONLY, ...ANY_KIND].map((type): [string, OncePayEvent] => [
      `${type} of a refund`,
      eventOf(type, REFUND),
    ]),
  ];

  it.each(roundTrips)('round-trips %s', (_name, event) => {
    const encoded = encodeEvent(event);
    expect(encoded.headers['event-type']).toBe(event.type);
    expect(decodeEvent(Buffer.from(encoded.value))).toEqual({ ok: true, event });
  });

  it('carries a capture as a string on the wire and a bigint in code', () => {
    const event = eventOf('HoldCaptured', HOLD);
    expect(JSON.parse(encodeEvent(event).value).payload.captureAmountMinor).toBe('9223372036854775806');
    const decoded = decodeEvent(encodeEvent(event).value);
    expect(
      decoded.ok && 'captureAmountMinor' in decoded.event.payload && decoded.event.payload.captureAmountMinor,
    ).toBe(MAX_AMOUNT_MINOR - 1n);
  });

  it('accepts a hold expiry with an offset (+00:00), as the state machine compares instants', () => {
    const decoded = decodeWith(eventOf('HoldPlaced', HOLD), (payload) => {
      payload.holdExpiresAt = '2025-01-09T03:04:05+00:00';
    });
    expect(decoded.ok).toBe(true);
  });

  it.each(HOLD_ONLY)('refuses %s without holdExpiresAt', (type) => {
    const decoded = decodeWith(eventOf(type, HOLD), (payload) => delete payload.holdExpiresAt);
    expect(decoded).toEqual({
      ok: false,
      reason: expect.stringMatching(new RegExp(`invalid ${type} payload: holdExpiresAt`)),
    });
  });

  it.each(HOLD_ONLY)('refuses %s with a holdExpiresAt that is not an instant', (type) => {
    const decoded = decodeWith(eventOf(type, HOLD), (payload) => (payload.holdExpiresAt = 'next week'));
    expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(/holdExpiresAt/) });
  });

  it.each(ONE_STEP_ONLY)('refuses %s with holdExpiresAt (a hold is never posted or completed)', (type) => {
    const decoded = decodeWith(
      eventOf(type, PAYMENT),
      (payload) => (payload.holdExpiresAt = HOLD.holdExpiresAt),
    );
    expect(decoded).toEqual({
      ok: false,
      reason: expect.stringMatching(/holdExpiresAt: a hold is captured or released, never posted/),
    });
  });

  it.each([...ANY_KIND, ...ONE_STEP_ONLY, ...HOLD_ONLY])(
    'refuses %s with both holdExpiresAt and refundOf',
    (type) => {
      const decoded = decodeWith(eventOf(type, HOLD), (payload) => (payload.refundOf = REFUND.refundOf));
      expect(decoded).toEqual({
        ok: false,
        reason: expect.stringMatching(new RegExp(`invalid ${type} payload`)),
      });
    },
  );

  it.each([...ANY_KIND, ...ONE_STEP_ONLY])('refuses %s of a refund of itself, in any case', (type) => {
    const decoded = decodeWith(
      eventOf(type, REFUND),
      (payload) => (payload.refundOf = String(payload.transferId).toUpperCase()),
    );
    expect(decoded).toEqual({
      ok: false,
      reason: expect.stringMatching(/refundOf: a refund pays back another transfer, not itself/),
    });
  });

  it.each(['ReleaseRequested', 'HoldReleased'] as const)('refuses %s with an unknown release', (type) => {
    const decoded = decodeWith(eventOf(type, HOLD), (payload) => (payload.release = 'CANCEL'));
    expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(/payload: release/) });
  });

  it.each(['CaptureRequested', 'HoldCaptured', 'TransferCaptured'] as const)(
    'refuses %s with a capture of 0',
    (type) => {
      const decoded = decodeWith(eventOf(type, HOLD), (payload) => (payload.captureAmountMinor = '0'));
      expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(/payload: captureAmountMinor/) });
    },
  );

  it.each([...ANY_KIND, ...ONE_STEP_ONLY])(
    "puts no holdExpiresAt or refundOf key in a payment's %s, on the wire or decoded",
    (type) => {
      const encoded = encodeEvent(eventOf(type, PAYMENT));
      const wire = Object.keys(JSON.parse(encoded.value).payload);
      const decoded = decodeEvent(encoded.value);
      const read = decoded.ok ? Object.keys(decoded.event.payload) : ['(not decoded)'];
      for (const keys of [wire, read]) {
        expect(keys).not.toContain('holdExpiresAt');
        expect(keys).not.toContain('refundOf');
      }
    },
  );
});
