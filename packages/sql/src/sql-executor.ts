// The SQL door every dedup function goes through. Two implementations fit it: PgDatabase
// (node-postgres, on the hot paths) and a Prisma client or the `tx` of its interactive `$transaction`,
// seen through executorOfPrisma. Prisma is matched structurally, so this package never imports one
// service's generated client, and the same code runs inside or outside a transaction.

/**
 * Runs parameterised SQL: values are always passed as parameters (`$1`, `$2`, ...), never
 * interpolated into the text.
 */
export interface SqlExecutor {
  /** Runs `text` and resolves to its rows. */
  query<T = unknown>(text: string, ...values: unknown[]): Promise<T>;
  /** Runs `text` and resolves to the number of rows it affected. */
  execute(text: string, ...values: unknown[]): Promise<number>;
}

/**
 * The two raw-SQL methods of a generated Prisma client or its transaction client. Prisma calls them
 * "unsafe" because the text is not a tagged template; every caller here passes values as parameters.
 */
export interface PrismaRawSql {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** A Prisma client (or the `tx` of its `$transaction`) seen through the SqlExecutor door. */
export function executorOfPrisma(prisma: PrismaRawSql): SqlExecutor {
  return {
    query: <T>(text: string, ...values: unknown[]) => prisma.$queryRawUnsafe<T>(text, ...values),
    execute: (text: string, ...values: unknown[]) => prisma.$executeRawUnsafe(text, ...values),
  };
}
