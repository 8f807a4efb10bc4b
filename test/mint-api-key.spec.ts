// Proves `npm run api-key -- <client id> <role>` prints a new key and an API_KEYS entry that holds only
// the key's digest and authenticates that key as that client and role; bad arguments are a usage error.
import { apiKeyDigest, apiKeysSchema } from '@oncepay/http-edge';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/infra/paths';

const mint = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/keys/mint-api-key.ts', ...args],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 },
  );

describe('npm run api-key', () => {
  it('prints a key and the entry that authenticates it, without the key in the entry', () => {
    const result = mint('acme', 'operator');

    expect(result.status).toBe(0);
    const key = /shown once: (\S+)$/m.exec(result.stdout)?.[1] ?? '';
    const entry = /on every service: (\S+)$/m.exec(result.stdout)?.[1] ?? '';
    expect(key).toMatch(/^opk_[A-Za-z0-9_-]{43}$/);
    expect(entry).not.toContain(key);
    expect(apiKeysSchema.parse(entry).byDigest.get(apiKeyDigest(key))).toEqual({
      clientId: 'acme',
      role: 'operator',
    });
  });

  it.each([[[]], [['acme']], [['acme', 'admin']], [['a b', 'client']]])(
    'exits 2 on bad arguments %j',
    (args) => {
      const result = mint(...args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toBe('');
    },
  );
});
