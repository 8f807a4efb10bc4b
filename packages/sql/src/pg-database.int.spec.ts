// Proves PgDatabase.transaction on the real database: it commits what `fn` wrote, rolls back when `fn`
// throws, and does not report a commit PostgreSQL turned into a rollback (a failed statement whose
// error `fn` caught: COMMIT then answers ROLLBACK without an error).
import { createPgDatabase, createTestDatabase, type TestDatabase } from '@oncepay/test-support';
import { randomUUID } from 'node:crypto';

describe('PgDatabase.transaction on PostgreSQL', () => {
  let database: TestDatabase;
  let pg: ReturnType<typeof createPgDatabase>;

  beforeAll(async () => {
    database = await createTestDatabase('transfer');
    pg = createPgDatabase(database.url);
  });
  afterAll(async () => {
    await pg.end();
    await database.drop();
  });

  const insert = `INSERT INTO processed_messages (consumer, message_id) VALUES ('spec', $1::uuid)`;
  const stored = async (id: string) =>
    (
      await pg.db.transaction((tx) =>
        tx.query<unknown[]>(`SELECT 1 FROM processed_messages WHERE message_id = $1::uuid`, id),
      )
    ).length;

  it('commits what it wrote, and rolls back when fn throws', async () => {
    const kept = randomUUID();
    await pg.db.transaction((tx) => tx.execute(insert, kept));
    expect(await stored(kept)).toBe(1);

    const undone = randomUUID();
    await expect(
      pg.db.transaction(async (tx) => {
        await tx.execute(insert, undone);
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect(await stored(undone)).toBe(0);
  });

  it('throws when a statement failed inside and fn went on: PostgreSQL rolled it all back', async () => {
    const written = randomUUID();
    await expect(
      pg.db.transaction(async (tx) => {
        await tx.execute(insert, written);
        // A duplicate key: the statement fails, the transaction is aborted, and fn swallows the error.
        await tx.execute(insert, written).catch(() => undefined);
        return 'done';
      }),
    ).rejects.toThrow('the transaction was rolled back at COMMIT');
    expect(await stored(written)).toBe(0);
    // The connection went back to the pool usable.
    await pg.db.transaction((tx) => tx.execute(insert, randomUUID()));
  });
});
