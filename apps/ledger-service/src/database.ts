// The ledger-service's Prisma types, named once: the client Nest injects under PRISMA, and the client
// an interactive transaction hands to its callback.
import type { Prisma, PrismaClient } from './generated/prisma/client';

export type LedgerDatabase = PrismaClient;
export type LedgerTransaction = Prisma.TransactionClient;

/**
 * Explicit, not Prisma's defaults. READ COMMITTED is enough because a posting serializes on the row
 * locks of its two accounts, and each statement after a lock wait sees what the lock holder committed.
 * `maxWait` bounds the wait for a pooled connection; `timeout` bounds a transaction that holds locks.
 */
export const TRANSACTION_OPTIONS = {
  isolationLevel: 'ReadCommitted',
  maxWait: 5_000,
  timeout: 10_000,
} as const satisfies {
  isolationLevel: Prisma.TransactionIsolationLevel;
  maxWait: number;
  timeout: number;
};
