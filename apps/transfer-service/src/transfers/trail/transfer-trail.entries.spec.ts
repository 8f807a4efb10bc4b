// Proves transfer-service's own trail entries: what was accepted (amount as a string of minor units),
// the status with its version, and an ignored answer with why and the transfer's version then.
import { acceptedEntry, staleEntry, statusEntry } from './transfer-trail.entries';

const transfer = {
  id: '6f1d2c3b-4a5e-4f60-8a1b-2c3d4e5f6a7b',
  client_id: 'demo-a',
  amount_minor: '9223372036854775807',
  currency: 'EUR',
  status: 'COMPLETED',
  version: 3,
  last_event_id: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
  hold_expires_at: null,
  refund_of: null,
  created_at: new Date('2026-11-30T10:00:00.000Z'),
  updated_at: new Date('2026-11-30T10:00:01.000Z'),
};

describe('transfer-service trail entries', () => {
  it('says what was accepted, for whom, and the amount exactly', () => {
    expect(acceptedEntry(transfer)).toEqual({
      at: '2026-11-30T10:00:00.000Z',
      kind: 'accepted',
      summary: 'Accepted a payment of 9223372036854775807 EUR minor units from client demo-a.',
    });
    expect(acceptedEntry({ ...transfer, hold_expires_at: new Date() }).summary).toContain('a hold of');
    expect(acceptedEntry({ ...transfer, refund_of: transfer.id }).summary).toContain('a refund of');
  });

  it('gives the current status and version', () => {
    expect(statusEntry(transfer)).toMatchObject({
      at: '2026-11-30T10:00:01.000Z',
      kind: 'status',
      status: 'COMPLETED',
      eventId: transfer.last_event_id,
    });
  });

  it('marks an ignored answer stale-ignored, with its verdict, why, where it was read and the version then', () => {
    const row = {
      consumer: 'transfer-service.record-ledger-result',
      event_id: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
      event_type: 'TransferPosted',
      sequence: 2,
      transfer_version: 3,
      verdict: 'stale',
      detail: null,
      topic: 'oncepay.ledger-results',
      kafka_partition: 0,
      kafka_offset: '17',
      ignored_at: new Date('2026-11-30T10:00:05.000Z'),
    };
    expect(staleEntry(row)).toEqual({
      at: '2026-11-30T10:00:05.000Z',
      kind: 'stale-ignored',
      summary:
        'Ignored TransferPosted (sequence 2) with the transfer at version 3: stale, older than the last event applied.',
      eventId: row.event_id,
      eventType: 'TransferPosted',
      topic: 'oncepay.ledger-results',
      partition: 0,
      offset: '17',
      consumer: row.consumer,
      status: 'stale',
      marks: ['stale-ignored'],
    });
    const illegal = staleEntry({
      ...row,
      verdict: 'illegal',
      detail: 'UNKNOWN_TRANSFER',
      transfer_version: null,
    });
    expect(illegal).toMatchObject({ kind: 'stale-ignored', status: 'illegal', marks: ['stale-ignored'] });
    expect(illegal.summary).toBe(
      'Ignored TransferPosted (sequence 2) with the transfer unknown to this service: illegal, not a transition the transfer can make (UNKNOWN_TRANSFER).',
    );
    // A duplicate outcome under another event id is ignored too: the same kind, its own verdict.
    expect(staleEntry({ ...row, verdict: 'duplicate' })).toMatchObject({
      kind: 'stale-ignored',
      status: 'duplicate',
    });
  });
});
