// Generates each service's Prisma client from prisma/<service>/schema.prisma. Runs on `npm install`.
// The Prisma CLI wants a schema-engine binary it would download; generating needs none, so any
// executable satisfies the check and nothing is fetched.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../infra/paths';
import { SERVICES } from '../infra/services';
import { schemaPathOf } from './schema-paths';

const prismaCli = path.join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js');

for (const service of SERVICES) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schemaPathOf(service.name)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  console.log(`prisma client generated for ${service.name}`);
}
