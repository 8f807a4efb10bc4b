// As root, embedded PostgreSQL runs as a `postgres` user who must be able to enter every folder above
// its binaries and data; a clone in a 0700 folder gets one sentence saying what to do, not EACCES.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertPostgresUserCanReach, firstClosedAncestor } from '../scripts/infra/postgres';

describe('the check that the postgres user can reach the stack folder', () => {
  let root: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'oncepay-reach-'));
    fs.chmodSync(root, 0o755);
  });

  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('names the first folder others cannot enter, as a clone inside /root or mktemp -d has', async () => {
    const closed = path.join(root, 'home');
    fs.mkdirSync(path.join(closed, 'oncepay', '.oncepay'), { recursive: true });
    fs.chmodSync(closed, 0o700);
    const dataDir = path.join(closed, 'oncepay', '.oncepay', 'stack', 'postgres');

    expect(await firstClosedAncestor(dataDir)).toEqual({ dir: closed, mode: '0700' });
    await expect(assertPostgresUserCanReach([dataDir])).rejects.toThrow(
      `that user cannot enter ${closed} (mode 0700), which holds ${dataDir}: clone OncePay into a folder ` +
        `others may enter (for example /srv or /opt), or open this one with: chmod o+x ${closed}`,
    );
  });

  it('accepts a path whose folders others may enter, and a data folder that is 0700 itself', async () => {
    const dataDir = path.join(root, 'oncepay', '.oncepay', 'stack', 'postgres');
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    fs.chmodSync(dataDir, 0o700);

    expect(await firstClosedAncestor(dataDir)).toBeUndefined();
    await expect(assertPostgresUserCanReach([dataDir])).resolves.toBeUndefined();
  });
});
