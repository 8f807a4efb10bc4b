// The ledger-service's Prisma client type, named once: the client Nest injects under PRISMA. The
// posting consumer's batches run on node-postgres instead (PgDatabase, see post-transfer.handler.ts).
import type { PrismaClient } from './generated/prisma/client';

export type LedgerDatabase = PrismaClient;
