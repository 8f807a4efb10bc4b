// `npm run bench -- --prefill`'s history (scripts/bench/prefill.ts) on real PostgreSQL: 2,000 settled
// transfers written into fresh, migrated databases pass the auditor with no grace (the benchmark's
// audit runs over history and load alike), and the tables retention bounds hold only rows inside the
// services' windows: the retention job's own purges find nothing to delete, and each table holds the
// share of the history its window spans.
import { purgeExpiredIdempotencyKeys, purgeProcessedMessages } from '@oncepay/dedup';
import { purgeSentOutboxMessages } from '@oncepay/messaging';
import type { SqlExecutor } from '@oncepay/sql';
import { createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { Client } from 'pg';
import { auditOncePay } from '../apps/auditor/src/auditor';
import { prefillHistory, prefillWindows, retainedShare, type PrefillReport } from '../scripts/bench/prefill';

const TRANSFERS = 2_000;
/** Payments, and a refund of every 50th. */
const REQUESTED = TRANSFERS + TRANSFERS / 50;
const HISTORY_DAYS = 60;
const BOUNDS = { batchSize: 5_000, maxBatches: 1_000, budgetMs: 60_000 };

describe('the benchmark prefill over 2,000 transfers', () => {
  const databases: Record<'transfer' | 'ledger' | 'notification', TestDatabase> = {} as never;
  const windows = prefillWindows({});
  let report: PrefillReport;

  beforeAll(async () => {
    const [transfer, ledger, notification] = await Promise.all(
      (['transfer', 'ledger', 'notification'] as const).map((name) => createTestDatabase(name)),
    );
    Object.assign(databases, { transfer, ledger, notification });
    report = await prefillHistory(
      { transfer: transfer!.adminUrl, ledger: ledger!.adminUrl, notification: notification!.adminUrl },
      { transfers: TRANSFERS, historyDays: HISTORY_DAYS },
      windows,
      () => undefined,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(databases).map((database) => database.drop()));
  });

  const rowsOf = (database: string, table: string) =>
    report.tables.find((size) => size.database === database && size.table === table)?.rows;

  it('leaves every transfer settled: the auditor passes with no grace', async () => {
    const audit = await auditOncePay({
      transferDatabaseUrl: databases.transfer.auditorUrl,
      ledgerDatabaseUrl: databases.ledger.auditorUrl,
      notificationDatabaseUrl: databases.notification.auditorUrl,
      pendingGraceMs: 0,
    });
    expect(audit.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([]);
    expect(audit.counts.transfers.PENDING).toBe(0);
    expect(audit.counts.transfers.HELD).toBe(0);
    expect(audit.counts.notifications).toBe(REQUESTED);
  }, 120_000);

  it('fills the permanent tables with all of it, and reports every table', () => {
    expect(rowsOf('transfer', 'transfers')).toBe(REQUESTED);
    expect(rowsOf('notification', 'notifications')).toBe(REQUESTED);
    expect(rowsOf('ledger', 'ledger_decisions')).toBe(REQUESTED);
    expect(report.tables.every((size) => size.bytes > 0)).toBe(true);
    expect(report.fillSeconds).toBeGreaterThan(0);
  });

  it('leaves nothing the retention job would delete: each purge, as of now, finds no row', async () => {
    const now = new Date();
    const before = (seconds: number) => new Date(now.getTime() - seconds * 1000);
    for (const name of ['transfer', 'ledger', 'notification'] as const) {
      // One client, closed before the databases are dropped (a pool's end does not wait for its sockets).
      const client = new Client({ connectionString: databases[name].adminUrl });
      await client.connect();
      const db: SqlExecutor = {
        query: async <T>(text: string, ...values: unknown[]) => (await client.query(text, values)).rows as T,
        execute: async (text: string, ...values: unknown[]) =>
          (await client.query(text, values)).rowCount ?? 0,
      };
      try {
        expect(
          await purgeProcessedMessages(db, { olderThan: before(windows.processedMessagesS), ...BOUNDS }),
        ).toBe(0);
        if (name !== 'notification')
          expect(
            await purgeSentOutboxMessages(db, { olderThan: before(windows.outboxSentS), ...BOUNDS }),
          ).toBe(0);
        if (name === 'transfer') expect(await purgeExpiredIdempotencyKeys(db, { now, ...BOUNDS })).toBe(0);
      } finally {
        await client.end();
      }
    }
  });

  it('holds in each retention-bound table the share of the history its window spans', () => {
    // Evenly spread: within a few transfers of the share (rows straddle the window's edge by seconds).
    const about = (share: number, perTransfer: number) => {
      const expected = share * REQUESTED * perTransfer;
      return [expected - 5 * perTransfer, expected + 5 * perTransfer] as const;
    };
    const expectWithin = (rows: number | undefined, [low, high]: readonly [number, number]) => {
      expect(rows).toBeGreaterThanOrEqual(low);
      expect(rows).toBeLessThanOrEqual(high);
    };
    const processed = retainedShare(windows.processedMessagesS, HISTORY_DAYS);
    const sent = retainedShare(windows.outboxSentS, HISTORY_DAYS);
    const keys = retainedShare(windows.idempotencyKeysS, HISTORY_DAYS);
    for (const database of ['transfer', 'ledger', 'notification'])
      expectWithin(rowsOf(database, 'processed_messages'), about(processed, 1));
    // The transfer-service's request and outcome; the ledger's result.
    expectWithin(rowsOf('transfer', 'outbox_messages'), about(sent, 2));
    expectWithin(rowsOf('ledger', 'outbox_messages'), about(sent, 1));
    expectWithin(rowsOf('transfer', 'idempotency_keys'), about(keys, 1));
    expect(rowsOf('transfer', 'idempotency_keys')).toBeGreaterThan(0);
  });
});
