// Proves what the live feed passes on from the observer: each decoded event, with the transfer's new
// summary, to every open stream; a message that is no OncePay event counted and not shown; and the
// bounded list of recent events a page opened later starts from.
import { randomUUID } from 'node:crypto';
import { createEvent, decodeEvent, encodeEvent } from '@oncepay/contracts';
import type { ObservedMessage } from '@oncepay/messaging';
import { LiveFeed, RECENT_EVENTS, type LiveUpdate } from './live-feed';
import { TransferWindow } from './transfer-window';

let offset = 0;
function observed(value: Buffer): ObservedMessage {
  return {
    message: {
      topic: 'oncepay.transfer-requests.v1',
      partition: 0,
      offset: String(offset++),
      key: null,
      value,
      headers: {},
    },
    decoded: decodeEvent(value),
  };
}

function requested(): Buffer {
  const transferId = randomUUID();
  const event = createEvent(
    'TransferRequested',
    {
      transferId,
      clientId: 'demo-a',
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      amountMinor: 100n,
      currency: 'EUR',
      reference: null,
    },
    {
      id: randomUUID(),
      occurredAt: new Date(),
      producer: 'transfer-service',
      sequence: 1,
      correlationId: 'c',
      causationId: null,
    },
  );
  return Buffer.from(encodeEvent(event).value);
}

describe('LiveFeed', () => {
  it('tells every open stream about each event, with the transfer where it stands now', () => {
    const feed = new LiveFeed(new TransferWindow());
    const seen: LiveUpdate[] = [];
    const unsubscribe = feed.subscribe((update) => seen.push(update));
    const value = requested();
    feed.accept(observed(value));
    feed.accept(observed(value));
    expect(seen.map(({ event, transfer }) => [event.marks, transfer.status, transfer.duplicates])).toEqual([
      [[], 'PENDING', 0],
      [['duplicate'], 'PENDING', 1],
    ]);
    unsubscribe();
    feed.accept(observed(requested()));
    expect(seen).toHaveLength(2);
  });

  it('counts what does not decode and shows nothing of it', () => {
    const feed = new LiveFeed(new TransferWindow());
    feed.accept(observed(Buffer.from('not json')));
    expect(feed.undecodableCount()).toBe(1);
    expect(feed.recent()).toEqual([]);
    expect(feed.recentEvents()).toEqual([]);
  });

  it(`keeps the last ${RECENT_EVENTS} events for a page opened later`, () => {
    const feed = new LiveFeed(new TransferWindow());
    for (let i = 0; i < RECENT_EVENTS + 5; i++) feed.accept(observed(requested()));
    expect(feed.recentEvents()).toHaveLength(RECENT_EVENTS);
  });
});
