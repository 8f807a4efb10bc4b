// Proves executorOfPrisma is a plain pass-through: the text and the values reach Prisma's raw methods
// unchanged, as parameters, and their results come back as they are.
import { executorOfPrisma, type PrismaRawSql } from './sql-executor';

describe('executorOfPrisma', () => {
  it('passes text and values to the raw methods and returns their results', async () => {
    const calls: unknown[][] = [];
    const prisma: PrismaRawSql = {
      $queryRawUnsafe: <T>(query: string, ...values: unknown[]) => {
        calls.push(['query', query, ...values]);
        return Promise.resolve([{ id: 1 }] as T);
      },
      $executeRawUnsafe: (query: string, ...values: unknown[]) => {
        calls.push(['execute', query, ...values]);
        return Promise.resolve(3);
      },
    };
    const db = executorOfPrisma(prisma);

    await expect(db.query<{ id: number }[]>('SELECT $1::int AS id', 1)).resolves.toEqual([{ id: 1 }]);
    await expect(db.execute('DELETE FROM t WHERE a = $1 AND b = $2', 'x', null)).resolves.toBe(3);
    expect(calls).toEqual([
      ['query', 'SELECT $1::int AS id', 1],
      ['execute', 'DELETE FROM t WHERE a = $1 AND b = $2', 'x', null],
    ]);
  });
});
