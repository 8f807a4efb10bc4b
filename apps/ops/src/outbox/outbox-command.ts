// Runs one `npm run outbox` command against the services' databases and writes what it did. Release
// and discard go through @oncepay/messaging (outbox-parking.ts), which takes the relay's lock, so the
// command and a running relay never act on a row at once.
import { assertNever } from '@oncepay/contracts';
import {
  discardParkedOutboxRow,
  listParkedOutboxRows,
  readOutboxRow,
  releaseParkedOutboxRow,
  type ParkedRowAction,
} from '@oncepay/messaging';
import { PgDatabase } from '@oncepay/sql';
import { Pool } from 'pg';
import type { OutboxCommand, OutboxService } from './cli-options';
import { formatParkedList, formatRow } from './format';

export const EXIT = { ok: 0, refused: 1, error: 2 } as const;

/** Where the command writes: stdout for results, stderr for warnings and refusals. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

type Runnable = Exclude<OutboxCommand, { kind: 'help' } | { kind: 'usage-error' }>;

export async function runOutboxCommand(
  command: Runnable,
  databaseUrls: Record<OutboxService, string>,
  output: CommandOutput,
  now: Date = new Date(),
): Promise<number> {
  switch (command.kind) {
    case 'list': {
      const lists = [];
      for (const service of command.services)
        lists.push({ service, rows: await withDatabase(databaseUrls[service], listParkedOutboxRows) });
      output.out(command.json ? JSON.stringify(lists, null, 2) : formatParkedList(lists, now));
      return EXIT.ok;
    }
    case 'show': {
      const row = await withDatabase(databaseUrls[command.service], (db) =>
        readOutboxRow(db, command.position),
      );
      if (!row) {
        output.err(`[outbox] ${command.service} has no outbox row at position ${command.position}`);
        return EXIT.refused;
      }
      output.out(
        command.json
          ? JSON.stringify({ service: command.service, ...row }, null, 2)
          : formatRow(command.service, row),
      );
      return EXIT.ok;
    }
    case 'release': {
      const action = await withDatabase(databaseUrls[command.service], (db) =>
        releaseParkedOutboxRow((fn) => db.transaction(fn), command.position),
      );
      return report(command.service, command.position, action, output);
    }
    case 'discard': {
      const action = await withDatabase(databaseUrls[command.service], (db) =>
        discardParkedOutboxRow((fn) => db.transaction(fn), command.position, command.reason),
      );
      return report(command.service, command.position, action, output);
    }
    default:
      return assertNever(command);
  }
}

function report(
  service: OutboxService,
  position: string,
  action: ParkedRowAction,
  output: CommandOutput,
): number {
  switch (action.outcome) {
    case 'released': {
      const { row } = action;
      output.out(
        `released ${service} outbox row ${position} (event ${row.id}, topic ${row.topic}, key ${row.key}): ` +
          `the relay sends it next, then the ${row.waitingBehind} rows of its key waiting behind it`,
      );
      return EXIT.ok;
    }
    case 'discarded': {
      const { row } = action;
      output.out(
        `discarded ${service} outbox row ${position} (event ${row.id}, topic ${row.topic}, key ${row.key}): ` +
          `"${row.discardReason ?? ''}"; the ${row.waitingBehind} rows of its key waiting behind it now flow`,
      );
      output.err(
        `[outbox] WARNING: event ${row.id} will never be published: the consumers of ${row.topic} never see it, ` +
          `and key ${row.key} goes on without it. The row stays in outbox_messages as DISCARDED, with its content.`,
      );
      return EXIT.ok;
    }
    case 'not_found':
      output.err(`[outbox] ${service} has no outbox row at position ${position}`);
      return EXIT.refused;
    case 'not_parked':
      output.err(`[outbox] ${service} outbox row ${position} is ${action.status}, not PARKED: nothing done`);
      return EXIT.refused;
    default:
      return assertNever(action);
  }
}

/** One connection to the database for the command's work, closed afterwards whatever happens. */
async function withDatabase<T>(url: string, work: (db: PgDatabase) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000 });
  // An idle connection that breaks is dropped by the pool; without a listener it would crash the process.
  pool.on('error', () => undefined);
  try {
    return await work(new PgDatabase(pool));
  } finally {
    await pool.end();
  }
}
