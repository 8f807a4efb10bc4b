// The transfer-service's Prisma client type, named once: the client Nest injects under PRISMA, used by
// the read endpoints. The accept path and the ledger-result consumer run on node-postgres instead
// (PgDatabase): they are the hot paths, a statement or a handful per request or batch.
import type { PrismaClient } from './generated/prisma/client';

export type TransferDatabase = PrismaClient;
