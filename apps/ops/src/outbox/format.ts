// What `npm run outbox` prints: plain lines an operator reads at a glance (--json gives the rows whole).
import type { OutboxRowDetail, ParkedOutboxRow } from '@oncepay/messaging';
import type { OutboxService } from './cli-options';

/** How much of a row's value `show` prints; the rest is counted. */
const VALUE_SHOWN_CHARS = 4_000;

export function formatParkedList(
  lists: { service: OutboxService; rows: ParkedOutboxRow[] }[],
  now: Date,
): string {
  const lines: string[] = [];
  for (const { service, rows } of lists) {
    lines.push(
      `${service}: ${rows.length === 0 ? 'no parked rows' : `${rows.length} parked ${rows.length === 1 ? 'row' : 'rows'}`}`,
    );
    for (const row of rows) {
      const parked = row.parkedAt
        ? `${row.parkedAt.toISOString()} (${formatAge(now.getTime() - row.parkedAt.getTime())} ago)`
        : 'unknown';
      lines.push(
        `  position ${row.position}  event ${row.id}  topic ${row.topic}  key ${row.key}`,
        `    ${row.attempts} attempts, parked ${parked}, ${row.waitingBehind} rows of its key waiting behind it`,
        `    last error: ${row.lastError ?? '(none recorded)'}`,
      );
    }
  }
  const parked = lists.reduce((sum, list) => sum + list.rows.length, 0);
  if (parked > 0)
    lines.push(
      '',
      'Fix the cause, then: npm run outbox -- release <service> <position>',
      'or give the event up: npm run outbox -- discard <service> <position> --reason "..."',
    );
  return lines.join('\n');
}

export function formatRow(service: OutboxService, row: OutboxRowDetail): string {
  const value =
    row.value.length > VALUE_SHOWN_CHARS
      ? `${row.value.slice(0, VALUE_SHOWN_CHARS)} ... (${row.value.length - VALUE_SHOWN_CHARS} more characters)`
      : row.value;
  const optional = (label: string, text: string | null) => (text === null ? [] : [`${label}: ${text}`]);
  return [
    `${service} outbox row ${row.position}: ${row.status}`,
    `event: ${row.id}`,
    `topic: ${row.topic}`,
    `key: ${row.key}`,
    `attempts: ${row.attempts}`,
    `created at: ${row.createdAt.toISOString()}`,
    ...optional('next attempt at', row.status === 'PENDING' ? row.nextAttemptAt.toISOString() : null),
    ...optional('sent at', row.sentAt?.toISOString() ?? null),
    ...optional('parked at', row.parkedAt?.toISOString() ?? null),
    ...optional('discarded at', row.discardedAt?.toISOString() ?? null),
    ...optional('discard reason', row.discardReason),
    ...optional('last error', row.lastError),
    `rows of its key waiting behind it: ${row.waitingBehind}`,
    `headers: ${JSON.stringify(row.headers)}`,
    `value: ${value}`,
  ].join('\n');
}

/** `42 s`, `5 min`, `3 h 7 min`, `2 d 4 h`. */
function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1_000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
