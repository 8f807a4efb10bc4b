// What an operator reads about a dead letter: where it is, which event and transfer it carries, which
// consumer gave up on it, when and why. Built from the message alone (its x-dlt-* headers and its
// value, decoded with the contracts' codec), and printed as a table, a page or JSON.
import { decodeEvent } from '@oncepay/contracts';
import { DLT_HEADERS, formatDeadLetterRef, NOT_SETTLED, type IncomingMessage } from '@oncepay/messaging';

export interface DeadLetterView {
  ref: string;
  /** The decoded event's type, id and transfer; null when the value does not decode. */
  eventType: string | null;
  eventId: string | null;
  transferId: string | null;
  /** Why the value does not decode; null when it does. */
  undecodable: string | null;
  originalTopic: string | null;
  consumerGroup: string | null;
  reason: string | null;
  failedAt: string | null;
  attempts: number | null;
}

export function viewOf(message: IncomingMessage): DeadLetterView {
  const decoded = decodeEvent(message.value);
  const header = (name: string): string | null => message.headers[name] ?? null;
  const attempts = header(DLT_HEADERS.attempts);
  return {
    ref: formatDeadLetterRef(message),
    eventType: decoded.ok ? decoded.event.type : null,
    eventId: decoded.ok ? decoded.event.id : null,
    transferId: decoded.ok ? decoded.event.aggregateId : null,
    undecodable: decoded.ok ? null : decoded.reason,
    originalTopic: header(DLT_HEADERS.originalTopic),
    consumerGroup: header(DLT_HEADERS.consumerGroup),
    reason: header(DLT_HEADERS.reason),
    failedAt: header(DLT_HEADERS.failedAt),
    attempts: attempts === null || !/^\d+$/.test(attempts) ? null : Number(attempts),
  };
}

/**
 * What discarding `view` leaves undone, for a warning; null when nothing: a transfer request the ledger
 * settled as it dead-lettered it (the transfer FAILED, UNPROCESSABLE) ends no story by being discarded.
 * Any other dead letter is an event its consumer never handled, and never will once discarded.
 */
export function leftUndoneByDiscard(view: DeadLetterView): string | null {
  const settled = view.eventType === 'TransferRequested' && !(view.reason ?? '').includes(NOT_SETTLED);
  if (settled) return null;
  const what =
    view.eventType === null ? 'an undecodable message' : `${view.eventType} ${String(view.eventId)}`;
  const transfer = view.transferId === null ? '' : ` of transfer ${view.transferId}`;
  return (
    `${what}${transfer} will never be handled by ${view.consumerGroup ?? 'its consumer'}: ` +
    'what it would have done is not done (a transfer may stay where it is; npm run audit names it)'
  );
}

const LIST_COLUMNS: [string, (view: DeadLetterView) => string][] = [
  ['REF', (v) => v.ref],
  ['EVENT', (v) => v.eventType ?? '(undecodable)'],
  ['EVENT ID', (v) => v.eventId ?? '-'],
  ['TRANSFER ID', (v) => v.transferId ?? '-'],
  ['GROUP', (v) => v.consumerGroup ?? '-'],
  ['FAILED AT', (v) => v.failedAt ?? '-'],
  ['REASON', (v) => oneLine(v.reason ?? v.undecodable ?? '-', 100)],
];

/** `list`: a count per dead-letter topic, then one line per waiting dead letter, in columns. */
export function formatList(waiting: { topic: string; waiting: bigint }[], views: DeadLetterView[]): string {
  const total = waiting.reduce((sum, { waiting: n }) => sum + n, 0n);
  const perTopic = waiting.map(({ topic, waiting: n }) => `${topic} ${n}`).join(', ');
  const head = `${total} dead letter${total === 1n ? '' : 's'} waiting (${perTopic})`;
  if (views.length === 0) return head;
  const rows = [
    LIST_COLUMNS.map(([title]) => title),
    ...views.map((v) => LIST_COLUMNS.map(([, cell]) => cell(v))),
  ];
  const widths = LIST_COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd(),
  );
  return [head, '', ...lines].join('\n');
}

/** `show`: the summary, every header, then the event pretty-printed (or the raw value when undecodable). */
export function formatShow(message: IncomingMessage, status: string): string {
  const view = viewOf(message);
  const headers = Object.entries(message.headers).sort(([a], [b]) => a.localeCompare(b));
  const raw = message.value?.toString('utf8') ?? '';
  const body = view.undecodable === null ? JSON.stringify(JSON.parse(raw), null, 2) : raw;
  return [
    `ref          ${view.ref}`,
    `status       ${status}`,
    `event        ${view.eventType ?? `(undecodable: ${view.undecodable})`}`,
    `event id     ${view.eventId ?? '-'}`,
    `transfer id  ${view.transferId ?? '-'}`,
    `key          ${message.key ?? '(none)'}`,
    '',
    'headers',
    ...headers.map(([name, value]) => `  ${name}: ${value}`),
    '',
    view.undecodable === null ? 'event' : 'value (as it arrived)',
    ...body.split('\n').map((line) => `  ${line}`),
  ].join('\n');
}

/** `show --json`: the view, the headers and the event (or the raw value). */
export function showJson(message: IncomingMessage, status: string): string {
  const view = viewOf(message);
  const raw = message.value?.toString('utf8') ?? '';
  return JSON.stringify(
    {
      ...view,
      status,
      key: message.key,
      headers: message.headers,
      ...(view.undecodable === null ? { event: JSON.parse(raw) as unknown } : { value: raw }),
    },
    null,
    2,
  );
}

function oneLine(text: string, maxLength: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= maxLength ? flat : `${flat.slice(0, maxLength - 1)}…`;
}
