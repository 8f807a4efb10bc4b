// Where each service's Prisma schema and migrations live: prisma/<service>/.
import path from 'node:path';
import { REPO_ROOT } from '../infra/paths';

export function schemaPathOf(service: string): string {
  return path.join(REPO_ROOT, 'prisma', service, 'schema.prisma');
}

export function migrationsDirOf(service: string): string {
  return path.join(REPO_ROOT, 'prisma', service, 'migrations');
}
