// The transfer-service's Prisma types, named once: the client Nest injects under PRISMA, and the
// client an interactive transaction hands to its callback.
import type { Prisma, PrismaClient } from './generated/prisma/client';

export type TransferDatabase = PrismaClient;
export type TransferTransaction = Prisma.TransactionClient;

/** Explicit, not Prisma's defaults: row locks do the serializing, so READ COMMITTED is enough. */
export const TRANSACTION_OPTIONS = {
  isolationLevel: 'ReadCommitted',
  maxWait: 5_000,
  timeout: 15_000,
} as const;
