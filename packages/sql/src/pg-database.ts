// node-postgres behind the same door (SqlExecutor) as Prisma's raw queries, on the same connection
// pool, for the paths every transfer takes: the accept statement, the outbox relays, the three
// services' batch consumers and the notification dispatcher. There Prisma's own cost per query (about
// half a millisecond of CPU on top of node-postgres, see docs/performance.md) was a large share of the
// work. The read endpoints and the account API keep Prisma: its typed queries are worth more there.
//
// Every statement runs as a prepared statement named after its text: PostgreSQL parses and plans it
// once per connection instead of on every call (for the accept statement that planning was about as
// much CPU as executing it). The SQL given here is static text with `$n` parameters, so the names stay
// few; a query built from data would prepare a statement per variant and must not come through here.
import type { SqlExecutor } from './sql-executor';
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';

export class PgDatabase implements SqlExecutor {
  constructor(private readonly pool: Pool) {}

  query<T = unknown>(text: string, ...values: unknown[]): Promise<T> {
    return queryRows<T>(this.pool, text, values);
  }

  execute(text: string, ...values: unknown[]): Promise<number> {
    return countRows(this.pool, text, values);
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction on one pooled connection: committed, or rolled back if it
   * throws. Every statement is a round trip, so BEGIN goes out with `fn`'s first statement: in the same
   * message when that statement takes no parameters (the simple protocol carries several statements,
   * but no parameters); otherwise queued right ahead of it, a round trip of its own (node-postgres sends
   * one statement at a time) but no wait in between. A transaction that ran no statement costs none.
   */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no error listener (pg-pool removes its own), and an unhandled 'error'
    // (the database restarting mid-transaction) would crash the process. Record it instead: the query
    // in flight fails, and the client is not given back to the pool.
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    const tx = new LazyTransaction(client);
    try {
      const result = await fn(tx);
      // PostgreSQL answers COMMIT in a failed transaction (a statement error `fn` caught and went on
      // from) with ROLLBACK and no error: nothing was written, and the caller must not hear "committed"
      // (a consumer would commit the event's offset over work that never happened).
      if (tx.opened && (await client.query('COMMIT')).command !== 'COMMIT')
        throw new Error('the transaction was rolled back at COMMIT: a statement in it had failed');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is not given back to the pool.
      if (tx.opened) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

const BEGIN = 'BEGIN ISOLATION LEVEL READ COMMITTED';

/** The executor of one transaction, which it opens with its first statement (see PgDatabase.transaction). */
class LazyTransaction implements SqlExecutor {
  /** Once set, BEGIN was sent (or is queued ahead of every later statement on this client). */
  opened = false;

  constructor(private readonly client: PoolClient) {}

  async query<T>(text: string, ...values: unknown[]): Promise<T> {
    return (await this.run(text, values)).rows as T;
  }

  async execute(text: string, ...values: unknown[]): Promise<number> {
    return (await this.run(text, values)).rowCount ?? 0;
  }

  private async run(text: string, values: unknown[]): Promise<QueryResult> {
    if (this.opened) return this.client.query(prepared(text, values));
    this.opened = true;
    if (values.length > 0) {
      // Both queued before either is awaited: node-postgres sends them in this order, so no statement
      // issued meanwhile on this transaction can slip in between (program order is lock order).
      const [, result] = await Promise.all([
        this.client.query(BEGIN),
        this.client.query(prepared(text, values)),
      ]);
      return result;
    }
    // One message, two statements: node-postgres answers with a result per statement.
    const results = (await this.client.query(`${BEGIN}; ${text}`)) as unknown as QueryResult[];
    return results[results.length - 1] as QueryResult;
  }
}

async function queryRows<T>(db: Pool | PoolClient, text: string, values: unknown[]): Promise<T> {
  const result = await db.query(prepared(text, values));
  return result.rows as T;
}

async function countRows(db: Pool | PoolClient, text: string, values: unknown[]): Promise<number> {
  const result = await db.query(prepared(text, values));
  return result.rowCount ?? 0;
}

// Names by statement text, so a hot statement is hashed once. The texts are static, but a batch
// statement has one text per batch size, so the memo is bounded: past it the oldest names are hashed
// again when next used (the name is the same; only the memo forgets it).
const MAX_REMEMBERED_NAMES = 2_000;
const statementNames = new Map<string, string>();

/** The query as a named prepared statement; node-postgres prepares each name once per connection. */
function prepared(text: string, values: unknown[]): QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `oncepay_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    if (statementNames.size >= MAX_REMEMBERED_NAMES)
      statementNames.delete(statementNames.keys().next().value!);
    statementNames.set(text, name);
  }
  return { name, text, values };
}
