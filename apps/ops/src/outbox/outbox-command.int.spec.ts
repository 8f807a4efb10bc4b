// Proves `npm run outbox` end to end: the built command, run as a process against a real database as
// the service's own role, lists the row the real relay parked (a topic that did not exist) with the
// rows of its key waiting behind it, shows it, refuses what it must (a row that is not parked, a
// discard without a reason), releases it once the topic exists so its key drains in order, and
// discards another so the rows behind it flow while it stays on record with its reason.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { enqueueEvent, IdempotentProducer, OutboxRelay } from '@oncepay/messaging';
import type { PgDatabase, SqlExecutor } from '@oncepay/sql';
import {
  createPgDatabase,
  createTestDatabase,
  createTestKafka,
  createTestTopics,
  sampleTransferRequested,
  uniqueName,
  type TestDatabase,
} from '@oncepay/test-support';

const COMMAND = path.join(__dirname, '../../dist/outbox/main.js');
const MAX_ATTEMPTS = 2;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('npm run outbox against a real database and broker', () => {
  const topic = uniqueName('transfer-requests');
  const databases: TestDatabase[] = [];
  let transfer: TestDatabase;
  let ledger: TestDatabase;
  let pg: ReturnType<typeof createPgDatabase>;
  let db: PgDatabase;
  let producer: IdempotentProducer;
  let relay: OutboxRelay<SqlExecutor>;
  const acknowledged: string[] = [];

  beforeAll(async () => {
    await createTestTopics([topic]);
    transfer = await createTestDatabase('transfer');
    ledger = await createTestDatabase('ledger');
    databases.push(transfer, ledger);
    pg = createPgDatabase(transfer.url);
    db = pg.db;
    producer = new IdempotentProducer(createTestKafka());
    await producer.connect();
    relay = new OutboxRelay<SqlExecutor>({
      transaction: (fn) => db.transaction(fn),
      publisher: {
        send: async (records) => {
          await producer.send(records);
          acknowledged.push(
            ...records.map((record) => (JSON.parse(record.value.toString()) as { id: string }).id),
          );
        },
      },
      maxAttempts: MAX_ATTEMPTS,
      backoff: { initialMs: 10, maxMs: 50 },
    });
  });

  afterAll(async () => {
    await producer.disconnect();
    await pg.end();
    await Promise.all(databases.map((database) => database.drop()));
  });

  /** The built command as an operator runs it, on the test databases as the outbox operator roles. */
  async function outbox(...args: string[]): Promise<Run> {
    const env = {
      ...process.env,
      TRANSFER_DATABASE_URL: transfer.outboxOperatorUrl,
      LEDGER_DATABASE_URL: ledger.outboxOperatorUrl,
    };
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [COMMAND, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  async function enqueue(transferId: string, to: string): Promise<{ id: string; position: string }> {
    const event = sampleTransferRequested({ transferId });
    await db.transaction((tx) => enqueueEvent(tx, event, to));
    const [row] = await db.query<{ position: string }[]>(
      `SELECT position::text AS position FROM outbox_messages WHERE id = $1::uuid`,
      event.id,
    );
    return { id: event.id, position: row!.position };
  }

  const statusOf = async (id: string): Promise<string> => {
    const [row] = await db.query<{ status: string }[]>(
      `SELECT status::text AS status FROM outbox_messages WHERE id = $1::uuid`,
      id,
    );
    return row!.status;
  };

  /** Relay passes until `id` is parked, bounded: each pass charges it once its short backoff is over. */
  async function relayUntilParked(id: string): Promise<void> {
    for (let pass = 0; pass < 200 && (await statusOf(id)) !== 'PARKED'; pass++) {
      await relay.relayPass();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await statusOf(id)).toBe('PARKED');
  }

  it('lists, shows and releases a parked row; its key then leaves in order', async () => {
    const missingTopic = uniqueName('created-late');
    const [a, b] = [randomUUID(), randomUUID()];
    const poisoned = await enqueue(a, missingTopic);
    const behind = await enqueue(a, topic);
    const other = await enqueue(b, topic);
    await relayUntilParked(poisoned.id);
    expect(await statusOf(other.id)).toBe('SENT');
    expect(await statusOf(behind.id)).toBe('PENDING');

    const list = await outbox('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('transfer: 1 parked row');
    expect(list.stdout).toContain(
      `position ${poisoned.position}  event ${poisoned.id}  topic ${missingTopic}  key ${a}`,
    );
    expect(list.stdout).toContain(`${MAX_ATTEMPTS} attempts`);
    expect(list.stdout).toContain('1 rows of its key waiting behind it');
    expect(list.stdout).toMatch(/last error: .*does not host this topic-partition/);
    expect(list.stdout).toContain('ledger: no parked rows');
    const json = JSON.parse((await outbox('list', '--service', 'transfer', '--json')).stdout) as unknown;
    expect(json).toEqual([
      {
        service: 'transfer',
        rows: [expect.objectContaining({ position: poisoned.position, id: poisoned.id, waitingBehind: 1 })],
      },
    ]);

    const show = await outbox('show', 'transfer', poisoned.position);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`transfer outbox row ${poisoned.position}: PARKED`);
    expect(show.stdout).toContain(`"id":"${poisoned.id}"`);

    // Refusals change nothing.
    expect(await outbox('release', 'transfer', other.position)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('is SENT, not PARKED'),
    });
    expect(await outbox('release', 'transfer', '999999')).toMatchObject({ code: 1 });
    expect(await outbox('release', 'notification', poisoned.position)).toMatchObject({ code: 2 });
    expect(await statusOf(poisoned.id)).toBe('PARKED');

    await createTestTopics([missingTopic]);
    const release = await outbox('release', 'transfer', poisoned.position);
    expect(release).toMatchObject({ code: 0, stdout: expect.stringContaining('the relay sends it next') });
    await relay.relayPass();
    expect([await statusOf(poisoned.id), await statusOf(behind.id)]).toEqual(['SENT', 'SENT']);
    expect(acknowledged.slice(-2)).toEqual([poisoned.id, behind.id]);
    expect((await outbox('list', '--service', 'transfer')).stdout).toContain('transfer: no parked rows');
  });

  it('discards a parked row with a reason, keeps it on record, and lets its key flow', async () => {
    const a = randomUUID();
    const poisoned = await enqueue(a, uniqueName('never-created'));
    const behind = await enqueue(a, topic);
    await relayUntilParked(poisoned.id);

    expect(await outbox('discard', 'transfer', poisoned.position)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('discard needs --reason'),
    });
    const discard = await outbox('discard', 'transfer', poisoned.position, '--reason', 'topic retired');
    expect(discard.code).toBe(0);
    expect(discard.stderr).toContain(`WARNING: event ${poisoned.id} will never be published`);
    await relay.relayPass();
    expect(await statusOf(behind.id)).toBe('SENT');
    const show = await outbox('show', 'transfer', poisoned.position);
    expect(show.stdout).toContain(`transfer outbox row ${poisoned.position}: DISCARDED`);
    expect(show.stdout).toContain('discard reason: topic retired');
    expect(show.stdout).toContain(`"id":"${poisoned.id}"`);
  });
});
