// The transfer-service's own trail entries, from its rows: pure mapping, no I/O.
import type { TrailEntry } from '@oncepay/http-edge';
import { position } from '@oncepay/service-runtime';

export interface TransferTrailRow {
  id: string;
  client_id: string;
  amount_minor: string;
  currency: string;
  status: string;
  version: number;
  last_event_id: string;
  hold_expires_at: Date | null;
  refund_of: string | null;
  created_at: Date;
  updated_at: Date;
}

export function acceptedEntry(row: TransferTrailRow): TrailEntry {
  const kind = row.refund_of !== null ? 'refund' : row.hold_expires_at !== null ? 'hold' : 'payment';
  return {
    at: row.created_at.toISOString(),
    kind: 'accepted',
    summary: `Accepted a ${kind} of ${row.amount_minor} ${row.currency} minor units from client ${row.client_id}.`,
  };
}

export function statusEntry(row: TransferTrailRow): TrailEntry {
  return {
    at: row.updated_at.toISOString(),
    kind: 'status',
    summary: `The transfer is ${row.status} at version ${row.version} (its last applied event's sequence).`,
    eventId: row.last_event_id,
    status: row.status,
  };
}

export interface StaleEventRow {
  consumer: string;
  event_id: string;
  event_type: string;
  sequence: number;
  transfer_version: number | null;
  verdict: string;
  detail: string | null;
  topic: string | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
  ignored_at: Date;
}

const WHY: Record<string, string> = {
  stale: 'older than the last event applied',
  duplicate: 'its sequence or outcome was applied already, under another event id',
  illegal: 'not a transition the transfer can make',
};

/**
 * Every ignored answer, whatever its verdict, is a `stale-ignored` entry (the kind and mark the contract
 * and the console know); the verdict, stale, duplicate or illegal, is its `status`.
 */
export function staleEntry(row: StaleEventRow): TrailEntry {
  const version =
    row.transfer_version === null ? 'unknown to this service' : `at version ${row.transfer_version}`;
  const why = WHY[row.verdict] ?? row.verdict;
  return {
    at: row.ignored_at.toISOString(),
    kind: 'stale-ignored',
    summary:
      `Ignored ${row.event_type} (sequence ${row.sequence}) with the transfer ${version}: ` +
      `${row.verdict}, ${why}${row.detail === null ? '' : ` (${row.detail})`}.`,
    eventId: row.event_id,
    eventType: row.event_type,
    ...position(row),
    consumer: row.consumer,
    status: row.verdict,
    marks: ['stale-ignored'],
  };
}
