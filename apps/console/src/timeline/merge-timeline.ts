// One transfer's timeline: the three services' trails and what the console saw on the wire, merged in
// time order, each entry tagged with where it happened. Marks stay where they were made: a service's
// `duplicate-absorbed` (its dedup dropped a redelivery) and `stale-ignored` (its state machine kept its
// state) beside the wire's own `duplicate` and `stale` (see live/transfer-window.ts).
import { TRAIL_SERVICES, type TrailMark, type TrailService } from '@oncepay/contracts';
import type { WireEvent, WireMark } from '../live/transfer-window';
import type { TrailResult } from './trail';

export type TimelineSource = TrailService | 'wire';

export interface TimelineEntry {
  at: string;
  source: TimelineSource;
  kind: string;
  summary: string;
  eventId?: string;
  eventType?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  consumer?: string;
  status?: string;
  marks: (TrailMark | WireMark)[];
}

export interface TimelineLane {
  source: TimelineSource;
  available: boolean;
  /** Why a service's lane is empty when it is not available. */
  reason?: string;
  entries: number;
}

export interface Timeline {
  transferId: string;
  lanes: TimelineLane[];
  entries: TimelineEntry[];
}

/** Lanes in the order a transfer crosses them, which also breaks ties between entries of one instant. */
const SOURCE_ORDER: readonly TimelineSource[] = ['transfer', 'wire', 'ledger', 'notification'];

export function mergeTimeline(
  transferId: string,
  trails: readonly TrailResult[],
  wire: readonly WireEvent[],
): Timeline {
  const tagged: { entry: TimelineEntry; index: number }[] = [];
  const push = (entry: TimelineEntry): void => void tagged.push({ entry, index: tagged.length });
  const lanes: TimelineLane[] = [];
  for (const service of TRAIL_SERVICES) {
    const trail = trails.find((candidate) => candidate.service === service);
    if (!trail) {
      lanes.push({ source: service, available: false, reason: 'not asked', entries: 0 });
      continue;
    }
    if (!trail.available) {
      lanes.push({ source: service, available: false, reason: trail.reason, entries: 0 });
      continue;
    }
    lanes.push({ source: service, available: true, entries: trail.entries.length });
    for (const { marks, ...rest } of trail.entries) push({ ...rest, source: service, marks: marks ?? [] });
  }
  lanes.push({ source: 'wire', available: true, entries: wire.length });
  for (const event of wire) push(wireEntry(event));
  tagged.sort(
    (a, b) =>
      Date.parse(a.entry.at) - Date.parse(b.entry.at) ||
      SOURCE_ORDER.indexOf(a.entry.source) - SOURCE_ORDER.indexOf(b.entry.source) ||
      a.index - b.index,
  );
  return { transferId, lanes, entries: tagged.map(({ entry }) => entry) };
}

function wireEntry(event: WireEvent): TimelineEntry {
  const what = `${event.eventType} #${event.sequence} from ${event.producer}`;
  const summary = event.marks.includes('duplicate')
    ? `${what} again: the same event id, a redelivery; nothing changes`
    : event.marks.includes('stale')
      ? `${what}, ignored by the state machine (${event.ignoredBecause ?? 'stale'})`
      : `${what}: the transfer is ${event.status}`;
  return {
    at: event.observedAt,
    source: 'wire',
    kind: 'on-the-wire',
    summary,
    eventId: event.eventId,
    eventType: event.eventType,
    topic: event.topic,
    partition: event.partition,
    offset: event.offset,
    status: event.status,
    marks: [...event.marks],
  };
}
