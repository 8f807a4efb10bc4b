// Proves the auditor's outbox-not-parked check on real databases, read as the auditor's read-only role:
// a row the relay parked in the transfer or ledger database is a violation naming the row, its key and
// the rows waiting behind it, and no other check fails for it; once an operator acted (the row
// discarded, here) the audit is clean again.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { auditOncePay, CHECK_NAMES } from '../apps/auditor/src/auditor';
import { checkOutboxNotParked } from '../apps/auditor/src/checks';

describe('the outbox-not-parked audit check', () => {
  const databases = {} as Record<'transfer' | 'ledger' | 'notification', TestDatabase>;

  beforeAll(async () => {
    for (const service of ['transfer', 'ledger', 'notification'] as const)
      databases[service] = await createTestDatabase(service);
  });

  afterAll(async () => {
    await Promise.all(Object.values(databases).map((database) => database.drop()));
  });

  const audit = () =>
    auditOncePay({
      transferDatabaseUrl: databases.transfer.auditorUrl,
      ledgerDatabaseUrl: databases.ledger.auditorUrl,
      notificationDatabaseUrl: databases.notification.auditorUrl,
    });

  async function asAdmin<T>(
    service: 'transfer' | 'ledger',
    work: (client: Client) => Promise<T>,
  ): Promise<T> {
    const client = new Client({ connectionString: databases[service].adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  it('reports a parked ledger row until it is dealt with', async () => {
    const key = randomUUID();
    const [parkedId, behindId] = [randomUUID(), randomUUID()];
    const position = await asAdmin('ledger', async (client) => {
      const inserted = await client.query<{ position: string }>(
        `INSERT INTO outbox_messages (id, topic, key, value, status, attempts, last_error, parked_at)
         VALUES ($1, 'ledger.outcomes', $2, '{}', 'PARKED', 8, 'KafkaJSProtocolError: too large', now())
         RETURNING position::text AS position`,
        [parkedId, key],
      );
      await client.query(
        `INSERT INTO outbox_messages (id, topic, key, value) VALUES ($1, 'ledger.outcomes', $2, '{}')`,
        [behindId, key],
      );
      return inserted.rows[0]!.position;
    });

    const report = await audit();
    expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([
      CHECK_NAMES.outboxNotParked,
    ]);
    const check = report.checks.find((c) => c.name === CHECK_NAMES.outboxNotParked)!;
    expect(check.summary).toBe('1 parked outbox rows (0 in transfer, 1 in ledger): npm run outbox -- list');
    expect(check.violations).toEqual([
      expect.stringMatching(
        new RegExp(
          `^ledger outbox row ${position} \\(event ${parkedId}, topic ledger.outcomes, key ${key}\\) parked at .+ after 8 attempts, 1 rows of its key waiting behind it; last error: KafkaJSProtocolError: too large$`,
        ),
      ),
    ]);

    await asAdmin('ledger', (client) =>
      client.query(
        `UPDATE outbox_messages SET status = 'DISCARDED', discarded_at = now(), discard_reason = 'test' WHERE id = $1`,
        [parkedId],
      ),
    );
    const after = await audit();
    expect(after.ok).toBe(true);
    expect(after.checks.find((c) => c.name === CHECK_NAMES.outboxNotParked)?.summary).toBe(
      'no parked outbox rows (0 in transfer, 0 in ledger)',
    );
  });

  it('counts the parked rows past those it read', () => {
    const row = (position: string) => ({
      service: 'transfer' as const,
      position,
      id: randomUUID(),
      topic: 'transfers.requested',
      key: randomUUID(),
      attempts: 8,
      lastError: null,
      parkedAt: null,
      waitingBehind: 0,
    });
    const result = checkOutboxNotParked([
      { service: 'transfer', total: 30, rows: [row('1'), row('2')] },
      { service: 'ledger', total: 0, rows: [] },
    ]);
    expect(result).toMatchObject({ ok: false, violationCount: 30 });
    expect(result.summary).toBe(
      '30 parked outbox rows (30 in transfer, 0 in ledger): npm run outbox -- list',
    );
  });
});
