// What a stretch of load wrote to PostgreSQL, from the server's own cumulative counters, read before and
// after: rows inserted, updated and deleted per database (pg_stat_database), and WAL bytes and records
// (pg_current_wal_lsn, pg_stat_wal: one WAL for the whole server, so the three databases together). No
// extension is needed (pg_stat_statements would give WAL per database, but it must be preloaded).
// Transactions committed (xact_commit) are left out: the benchmark's own reads (its polling, its settle
// waits) commit too, and would be counted as the flows'; they write no rows and no WAL.
// A backend reports its counters when it goes idle, at most once a second; one that went idle less than
// a second after its last report does so 10 s later (PostgreSQL's PGSTAT_IDLE_INTERVAL). So a reading
// is exact only after the server was quiet that long: the caller reads after its load has settled, and
// QUIET_MS after that.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

/** How long to leave the server quiet before a reading, so every backend has reported its counters. */
export const QUIET_MS = 11_000;

export interface DatabaseCounters {
  inserted: number;
  updated: number;
  deleted: number;
}

export interface CounterReading {
  /** By database label. */
  databases: Record<string, DatabaseCounters>;
  /** pg_current_wal_lsn() as a byte position. */
  walBytes: number;
  /** pg_stat_wal.wal_records. */
  walRecords: number;
}

export interface CounterDelta {
  databases: Record<string, DatabaseCounters & { rowsWritten: number }>;
  walBytes: number;
  walRecords: number;
}

/** The growth of every counter from `before` to `after`, and rows written (inserted + updated + deleted). */
export function counterDelta(before: CounterReading, after: CounterReading): CounterDelta {
  const databases: CounterDelta['databases'] = {};
  for (const [name, end] of Object.entries(after.databases)) {
    const start = before.databases[name];
    if (!start) throw new Error(`no reading of database ${name} before the load`);
    const inserted = end.inserted - start.inserted;
    const updated = end.updated - start.updated;
    const deleted = end.deleted - start.deleted;
    databases[name] = { inserted, updated, deleted, rowsWritten: inserted + updated + deleted };
  }
  return {
    databases,
    walBytes: after.walBytes - before.walBytes,
    walRecords: after.walRecords - before.walRecords,
  };
}

/** The database name of a postgres:// URL. */
export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (name === '') throw new Error(`no database name in ${new URL(url).origin}`);
  return name;
}

/** Reads the counters of `databases` (name by label: `transfer` -> `oncepay_transfer`) on one server. */
export async function readCounters(
  adminUrl: string,
  databases: Record<string, string>,
): Promise<CounterReading> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      datname: string;
      inserted: string;
      updated: string;
      deleted: string;
    }>(
      `SELECT datname, tup_inserted::text AS inserted, tup_updated::text AS updated, tup_deleted::text AS deleted
         FROM pg_stat_database WHERE datname = ANY($1::text[])`,
      [Object.values(databases)],
    );
    const wal = await client.query<{ bytes: string; records: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes, wal_records::text AS records
         FROM pg_stat_wal`,
    );
    const result: CounterReading = {
      databases: {},
      walBytes: Number(wal.rows[0]!.bytes),
      walRecords: Number(wal.rows[0]!.records),
    };
    for (const [label, name] of Object.entries(databases)) {
      const row = rows.find((candidate) => candidate.datname === name);
      if (!row) throw new Error(`pg_stat_database has no row for database ${name}`);
      result.databases[label] = {
        inserted: Number(row.inserted),
        updated: Number(row.updated),
        deleted: Number(row.deleted),
      };
    }
    return result;
  } finally {
    await client.end();
  }
}

/** The counters once the server has been quiet long enough for every backend to have reported. */
export async function readQuietCounters(
  adminUrl: string,
  databases: Record<string, string>,
): Promise<CounterReading> {
  await sleep(QUIET_MS);
  return readCounters(adminUrl, databases);
}

/** The label -> database name map readCounters takes, from the services' database URLs. */
export function databaseNamesOf(urls: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(urls).map(([label, url]) => [label, databaseNameOf(url)]));
}
