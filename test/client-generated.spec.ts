// Proves the committed @oncepay/client types are exactly what the three services' OpenAPI documents
// generate now, so a service's API change cannot leave the typed client behind unnoticed, and that the
// check does see a difference, naming the file and the command that fixes it. The generator runs as
// `npm run client:generate` does (openapi-typescript loads an ES module that jest cannot).
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/infra/paths';

const GENERATED_DIR = path.join(REPO_ROOT, 'packages/client/src/generated');

const generate = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/client/generate.ts', ...args],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );

describe('the generated client types', () => {
  it('are committed exactly as the services document their APIs now', () => {
    const check = generate('--check');
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('type what the transfer-service accepts and answers', async () => {
    const transfer = await readFile(path.join(GENERATED_DIR, 'transfer.ts'), 'utf8');
    expect(transfer).toContain('"/v1/transfers": {');
    expect(transfer).toMatch(/RequestTransfer: \{[^}]*fromAccountId: string;/);
    expect(transfer).toContain('"Idempotent-Replayed"?: "true";');
  });

  it('report a file that differs from a fresh generation, with the command that rewrites it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oncepay-client-'));
    try {
      await cp(GENERATED_DIR, dir, { recursive: true });
      const ledger = path.join(dir, 'ledger.ts');
      await writeFile(ledger, (await readFile(ledger, 'utf8')).replace('balance:', 'balanceMinor:'));

      const check = generate('--check', '--out', dir);

      expect(check.status).toBe(1);
      expect(check.stderr).toContain('ledger.ts');
      expect(check.stderr).not.toContain('transfer.ts');
      expect(check.stderr).toContain('npm run client:generate');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
