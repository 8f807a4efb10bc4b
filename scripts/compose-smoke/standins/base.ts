// The base every stand-in image is built on: a Debian bookworm root file system made by debootstrap
// from Debian's archive (the official Node, PostgreSQL and Kafka images are Debian- or JVM-based, and
// Docker Hub's own `debian` image cannot be pulled here), trimmed like `debian:bookworm-slim`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { docker, imageExists, run, SMOKE_DIR } from '../docker';
import { aptInstall, onPath } from '../engine';

// Documentation, manuals, locales and package caches: what the slim images leave out too.
const TRIMMED = [
  'var/cache/apt/archives',
  'var/lib/apt/lists',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/locale',
];
// The APT settings Docker's Debian images ship, so an `apt-get install` in an image built on this base
// leaves no package caches behind and weighs what it would on the official image.
const APT_DOCKER_CLEAN = `DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
APT::Install-Suggests "false";
`;

/** Imports the root file system as `tag` unless an image of that name exists already. */
export async function ensureBaseImage(tag: string, log: (line: string) => void): Promise<void> {
  if (await imageExists(tag)) return;
  if (!(await onPath('debootstrap'))) await aptInstall('debootstrap');
  const rootfs = path.join(SMOKE_DIR, 'rootfs-bookworm');
  await fs.rm(rootfs, { recursive: true, force: true });
  log(`debootstrap: Debian bookworm (minbase) into ${rootfs}`);
  await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs]);
  for (const dir of TRIMMED) {
    await fs.rm(path.join(rootfs, dir), { recursive: true, force: true });
    await fs.mkdir(path.join(rootfs, dir), { recursive: true });
  }
  await fs.writeFile(path.join(rootfs, 'etc/apt/apt.conf.d/docker-clean'), APT_DOCKER_CLEAN);
  await run('sh', ['-c', `tar -C '${rootfs}' -c . | docker import - '${tag}'`]);
  await fs.rm(rootfs, { recursive: true, force: true });
  await docker(['image', 'inspect', tag]);
}
