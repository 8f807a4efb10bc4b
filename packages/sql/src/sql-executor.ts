// The SQL door every dedup function goes through. It is structural on purpose: any generated Prisma
// client, and the `tx` of its interactive `$transaction`, satisfies it, so this package never imports
// one service's generated client and the same code runs inside or outside a transaction.

/**
 * The two raw-SQL methods of a Prisma client or transaction client. Values are always passed as
 * parameters (`$1`, `$2`, ...), never interpolated into the query text.
 */
export interface SqlExecutor {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
