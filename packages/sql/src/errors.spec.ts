// Proves the retriable/non-retriable split the consumer runner and relay rely on: infrastructure
// failures (also wrapped as a cause) retry; bugs and explicit NonRetriableErrors do not.
import { runInNewContext } from 'node:vm';
import { isRetriableError, NonRetriableError, postgresDataException } from './errors';

describe('isRetriableError', () => {
  it.each([
    ['a PostgreSQL serialization failure', { code: '40001' }],
    ['a PostgreSQL deadlock', { code: '40P01' }],
    ['a lost database connection', { code: '08006' }],
    ['an admin shutdown', { code: '57P01' }],
    ['Prisma: database unreachable', { code: 'P1001' }],
    ['Prisma: write conflict', { code: 'P2034' }],
    ['a refused TCP connection', { code: 'ECONNREFUSED' }],
    ['a host not there for the moment', { code: 'EHOSTUNREACH' }],
    ['a kafkajs retriable error', { retriable: true }],
    ['a retriable cause inside a wrapper', new Error('wrapped', { cause: { code: '40001' } })],
    [
      "Prisma 7: the database's error kept on meta",
      { code: 'P2010', meta: { driverAdapterError: { cause: { code: '57P03' } } } },
    ],
    ["Prisma's adapter: connection closed", { kind: 'ConnectionClosed' }],
    ['node-postgres: connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['node-postgres: no connection in time', new Error('Connection terminated due to connection timeout')],
    ['pg-pool: no connection in time', new Error('timeout exceeded when trying to connect')],
    [
      'node-postgres: a client used after it broke',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
  ])('retries %s', (_, error) => {
    expect(isRetriableError(error)).toBe(true);
  });

  it("retries an error made in another realm (Node's own socket errors, seen from a vm context)", () => {
    const foreign: unknown = runInNewContext(
      `Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })`,
    );
    expect(foreign instanceof Object).toBe(false);
    expect(isRetriableError(foreign)).toBe(true);
  });

  it.each([
    ['a TypeError', new TypeError('x is undefined')],
    ['a unique violation', { code: '23505' }],
    ['Prisma: unique constraint', { code: 'P2002' }],
    ['a NonRetriableError', new NonRetriableError('invariant broken')],
    [
      'a NonRetriableError caused by a retriable error',
      new NonRetriableError('no', { cause: { code: '40001' } }),
    ],
    ['a string', 'boom'],
  ])('does not retry %s', (_, error) => {
    expect(isRetriableError(error)).toBe(false);
  });
});

describe('postgresDataException', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a node-postgres error of class 22', Object.assign(new Error('x'), { code: '22P02' }), '22P02'],
    [
      'one wrapped as a cause',
      new Error('x', { cause: Object.assign(new Error('y'), { code: '22003' }) }),
      '22003',
    ],
    ['an adapter error with originalCode', { originalCode: '22008' }, '22008'],
    ['another class (a lost connection)', Object.assign(new Error('x'), { code: '57P01' }), undefined],
    ['a unique violation', Object.assign(new Error('x'), { code: '23505' }), undefined],
    ['no code at all', new TypeError('bug'), undefined],
    ['not an error', 'a string', undefined],
  ])('finds %s', (_, error, expected) => {
    expect(postgresDataException(error)).toBe(expected);
  });
});
