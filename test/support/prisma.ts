// Builds a service's own generated Prisma client on a test database, the way the service does
// (through the pg driver adapter), so package tests exercise the real client without picking one.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as LedgerPrismaClient } from '../../apps/ledger-service/src/generated/prisma/client';
import { PrismaClient as NotificationPrismaClient } from '../../apps/notification-service/src/generated/prisma/client';
import { PrismaClient as TransferPrismaClient } from '../../apps/transfer-service/src/generated/prisma/client';
import type { ServiceSpec } from '../../scripts/infra/services';

/** Each service's generated client type. */
export interface PrismaClientOf {
  transfer: TransferPrismaClient;
  ledger: LedgerPrismaClient;
  notification: NotificationPrismaClient;
}

const constructors: { [S in ServiceSpec['name']]: (adapter: PrismaPg) => PrismaClientOf[S] } = {
  transfer: (adapter) => new TransferPrismaClient({ adapter }),
  ledger: (adapter) => new LedgerPrismaClient({ adapter }),
  notification: (adapter) => new NotificationPrismaClient({ adapter }),
};

/** The caller disconnects it (`$disconnect()`) before dropping the database. */
export function createPrismaClient<S extends ServiceSpec['name']>(
  service: S,
  url: string,
): PrismaClientOf[S] {
  const build: (adapter: PrismaPg) => PrismaClientOf[S] = constructors[service];
  return build(new PrismaPg({ connectionString: url }));
}
