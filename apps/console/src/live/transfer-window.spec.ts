// Proves the live view's marks: the state machine's status over the events seen, `duplicate` for an
// event id seen again on the wire (a redelivery), `stale` for a new event the state machine ignores,
// and the window's bound (the least recently active transfer is forgotten first).
import { randomUUID } from 'node:crypto';
import { createEvent, type OncePayEvent, type TransferFacts } from '@oncepay/contracts';
import { TransferWindow } from './transfer-window';

const facts = (): TransferFacts => ({
  transferId: randomUUID(),
  clientId: 'demo-a',
  fromAccountId: randomUUID(),
  toAccountId: randomUUID(),
  amountMinor: 2_500n,
  currency: 'EUR',
  reference: null,
});

function payment(transfer: TransferFacts): Record<'requested' | 'posted' | 'completed', OncePayEvent> {
  const meta = (sequence: number) => ({
    id: randomUUID(),
    occurredAt: new Date('2026-11-30T10:00:00.000Z'),
    producer: sequence === 2 ? 'ledger-service' : 'transfer-service',
    sequence,
    correlationId: 'req-1',
    causationId: null,
  });
  return {
    requested: createEvent('TransferRequested', transfer, meta(1)),
    posted: createEvent('TransferPosted', { ...transfer, postedAt: '2026-11-30T10:00:01.000Z' }, meta(2)),
    completed: createEvent('TransferCompleted', transfer, meta(3)),
  };
}

let offset = 0;
const at = () => ({ topic: 'oncepay.transfer-requests.v1', partition: 1, offset: String(offset++) });
const now = new Date('2026-11-30T10:00:02.000Z');

describe('TransferWindow', () => {
  it('follows a transfer through the state machine as its events arrive', () => {
    const window = new TransferWindow();
    const transfer = facts();
    const { requested, posted, completed } = payment(transfer);
    expect(window.observe(requested, at(), now)).toMatchObject({ status: 'PENDING', marks: [], sequence: 1 });
    expect(window.observe(posted, at(), now).status).toBe('COMPLETED');
    expect(window.observe(completed, at(), now).status).toBe('COMPLETED');
    expect(window.summaryOf(transfer.transferId)).toMatchObject({
      kind: 'PAYMENT',
      status: 'COMPLETED',
      amountMinor: '2500',
      currency: 'EUR',
      events: 3,
      duplicates: 0,
      stale: 0,
    });
  });

  it('marks an event id seen again as duplicate, wherever it sits, and changes nothing', () => {
    const window = new TransferWindow();
    const transfer = facts();
    const { requested, posted } = payment(transfer);
    window.observe(requested, at(), now);
    window.observe(posted, at(), now);
    // The first event again, at a new offset (a relay that crashed before marking its row sends it twice).
    const again = window.observe(requested, at(), now);
    expect(again).toMatchObject({ marks: ['duplicate'], status: 'COMPLETED', eventId: requested.id });
    const last = window.observe(posted, at(), now);
    expect(last.marks).toEqual(['duplicate']);
    expect(window.summaryOf(transfer.transferId)).toMatchObject({ duplicates: 2, stale: 0, events: 4 });
  });

  it('marks a new event the state machine ignores as stale, with the reason', () => {
    const window = new TransferWindow();
    const transfer = facts();
    const { posted, completed } = payment(transfer);
    window.observe(completed, at(), now);
    const late = window.observe(posted, at(), now);
    expect(late.marks).toEqual(['stale']);
    expect(late.ignoredBecause).toMatch(/older than sequence 3/);
    expect(late.status).toBe('COMPLETED');
    // A contradicting outcome at a newer sequence: illegal, ignored, marked stale too.
    const failed = createEvent(
      'TransferFailed',
      { ...transfer, reason: 'INSUFFICIENT_FUNDS' },
      { ...completed, id: randomUUID(), occurredAt: new Date(), sequence: 4 },
    );
    expect(window.observe(failed, at(), now)).toMatchObject({
      marks: ['stale'],
      ignoredBecause: 'CONTRADICTS_OUTCOME',
      status: 'COMPLETED',
    });
    expect(window.summaryOf(transfer.transferId)?.stale).toBe(2);
  });

  it('keeps the most recently active transfers, most recent first, and forgets the oldest', () => {
    const window = new TransferWindow(2);
    const [a, b, c] = [facts(), facts(), facts()];
    window.observe(payment(a).requested, at(), now);
    window.observe(payment(b).requested, at(), now);
    window.observe(payment(a).posted, at(), now); // a is now the most recent
    window.observe(payment(c).requested, at(), now); // b goes
    expect(window.recent().map((summary) => summary.transferId)).toEqual([c.transferId, a.transferId]);
    expect(window.summaryOf(b.transferId)).toBeUndefined();
    expect(window.eventsOf(b.transferId)).toEqual([]);
  });

  it('bounds the events it keeps per transfer', () => {
    const window = new TransferWindow(10, 2);
    const transfer = facts();
    const { requested } = payment(transfer);
    for (let i = 0; i < 5; i++) window.observe(requested, at(), now);
    expect(window.eventsOf(transfer.transferId)).toHaveLength(2);
    expect(window.summaryOf(transfer.transferId)?.events).toBe(5);
  });

  it('knows an event id as seen only while its event is kept; past that the state machine tells', () => {
    const window = new TransferWindow(10, 2);
    const transfer = facts();
    const { requested, posted, completed } = payment(transfer);
    for (const event of [requested, posted, completed]) window.observe(event, at(), now);
    // `requested` has left the two kept events: its redelivery is judged by the state machine (older
    // than what it applied), while `completed`, still kept, is a duplicate.
    expect(window.observe(requested, at(), now)).toMatchObject({ marks: ['stale'], status: 'COMPLETED' });
    expect(window.observe(completed, at(), now).marks).toEqual(['duplicate']);
    expect(window.eventsOf(transfer.transferId).map((event) => event.eventId)).toEqual([
      requested.id,
      completed.id,
    ]);
  });
});
