// Proves the timeline merge: the services' trails and the wire's events in one time order (ties in the
// order a transfer crosses the services), each entry tagged with its source, marks kept where they were
// made, and a service without a trail shown as not available rather than hiding the others.
import type { WireEvent } from '../live/transfer-window';
import { mergeTimeline } from './merge-timeline';
import { fetchTrail, type TrailResult } from './trail';

const TRANSFER = '0b9d7c3e-6f0a-4d8e-9a51-2c1f3e4d5a60';
const EVENT = '7c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';

const wire = (overrides: Partial<WireEvent>): WireEvent => ({
  topic: 'oncepay.transfer-requests.v1',
  partition: 2,
  offset: '17',
  transferId: TRANSFER,
  eventId: EVENT,
  eventType: 'TransferRequested',
  sequence: 1,
  producer: 'transfer-service',
  occurredAt: '2026-11-30T10:00:00.000Z',
  observedAt: '2026-11-30T10:00:00.020Z',
  status: 'PENDING',
  marks: [],
  ...overrides,
});

describe('mergeTimeline', () => {
  it('merges trails and wire events in time order, ties in the order a transfer crosses the services', () => {
    const trails: TrailResult[] = [
      {
        service: 'ledger',
        available: true,
        entries: [
          { at: '2026-11-30T10:00:00.050Z', kind: 'decision', summary: 'posted' },
          {
            at: '2026-11-30T10:00:00.090Z',
            kind: 'duplicate-absorbed',
            summary: 'the request again: absorbed',
            marks: ['duplicate-absorbed'],
          },
        ],
      },
      {
        service: 'transfer',
        available: true,
        entries: [
          { at: '2026-11-30T10:00:00.000Z', kind: 'accepted', summary: 'accepted' },
          { at: '2026-11-30T10:00:00.020Z', kind: 'outbox-row', summary: 'row sent' },
        ],
      },
      {
        service: 'notification',
        available: false,
        reason: 'the service serves no trail (404)',
      },
    ];
    const timeline = mergeTimeline(TRANSFER, trails, [
      wire({}),
      wire({ offset: '18', observedAt: '2026-11-30T10:00:00.080Z', marks: ['duplicate'] }),
    ]);
    expect(timeline.entries.map((entry) => [entry.source, entry.kind, entry.marks])).toEqual([
      ['transfer', 'accepted', []],
      ['transfer', 'outbox-row', []],
      ['wire', 'on-the-wire', []],
      ['ledger', 'decision', []],
      ['wire', 'on-the-wire', ['duplicate']],
      ['ledger', 'duplicate-absorbed', ['duplicate-absorbed']],
    ]);
    expect(timeline.entries[2]).toMatchObject({
      partition: 2,
      offset: '17',
      topic: 'oncepay.transfer-requests.v1',
    });
    expect(timeline.entries[4]?.summary).toMatch(/again: the same event id, a redelivery/);
    expect(timeline.lanes).toEqual([
      { source: 'transfer', available: true, entries: 2 },
      { source: 'ledger', available: true, entries: 2 },
      {
        source: 'notification',
        available: false,
        reason: 'the service serves no trail (404)',
        entries: 0,
      },
      { source: 'wire', available: true, entries: 2 },
    ]);
  });

  it('says why a stale wire event was ignored', () => {
    const timeline = mergeTimeline(
      TRANSFER,
      [],
      [
        wire({
          marks: ['stale'],
          ignoredBecause: 'older than sequence 3 already applied',
          status: 'COMPLETED',
        }),
      ],
    );
    expect(timeline.entries[0]?.summary).toMatch(/ignored by the state machine \(older than sequence 3/);
    expect(timeline.lanes.filter((lane) => !lane.available).map((lane) => lane.source)).toEqual([
      'transfer',
      'ledger',
      'notification',
    ]);
  });
});

describe('fetchTrail', () => {
  const options = (answer: () => Promise<Response>) => ({
    service: 'ledger' as const,
    baseUrl: 'http://ledger.invalid',
    apiKey: 'ops-key',
    timeoutMs: 1_000,
    fetch: answer as (request: Request) => Promise<Response>,
  });

  it('validates the answer and keeps its entries', async () => {
    const body = {
      service: 'ledger',
      transferId: TRANSFER,
      entries: [
        { at: '2026-11-30T10:00:00Z', kind: 'decision', summary: 'posted', partition: 1, offset: '4' },
        // A kind cut at the services' per-kind row limit ends in one of these.
        {
          at: '2026-11-30T10:00:01Z',
          kind: 'truncated',
          summary: 'Showed the first 1000 duplicates absorbed; there are more, not shown.',
        },
      ],
    };
    const result = await fetchTrail(
      options(async () => Response.json(body)),
      TRANSFER,
    );
    expect(result).toEqual({ service: 'ledger', available: true, entries: body.entries });
  });

  it('shows a service without the endpoint, a refusal, a bad body or no answer as not available', async () => {
    const results = await Promise.all([
      fetchTrail(
        options(async () => new Response('', { status: 404 })),
        TRANSFER,
      ),
      fetchTrail(
        options(async () => new Response('', { status: 403 })),
        TRANSFER,
      ),
      fetchTrail(
        options(async () =>
          Response.json({ service: 'ledger', transferId: TRANSFER, entries: [{ at: 'yesterday' }] }),
        ),
        TRANSFER,
      ),
      fetchTrail(
        options(async () => Response.json({ service: 'transfer', transferId: TRANSFER, entries: [] })),
        TRANSFER,
      ),
      fetchTrail(
        options(() => Promise.reject(new Error('connect ECONNREFUSED'))),
        TRANSFER,
      ),
    ]);
    expect(results.map((result) => (result.available ? 'available' : result.reason))).toEqual([
      'the service serves no trail (404)',
      'the service answered 403',
      expect.stringMatching(/^an unexpected trail/),
      'the trail is of another service or transfer',
      'unreachable or unreadable: connect ECONNREFUSED',
    ]);
  });
});
