// Proves the compose smoke test runs the README's hold walk-through as written: the script is the
// README's block with the try-it's variables in front, aimed at the stack's ports, and valid bash.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bashBlockAfter, walkthroughScript } from '../scripts/compose-smoke/readme-walkthrough';
import { REPO_ROOT } from '../scripts/infra/paths';
import { DEMO } from '../scripts/stack/seed';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const urls = {
  transfer: 'http://127.0.0.1:41000',
  ledger: 'http://127.0.0.1:41001',
  notification: 'http://127.0.0.1:41002',
};

describe("the README's hold walk-through as the compose smoke test runs it", () => {
  const script = walkthroughScript(readme, urls);

  it('starts from the try-it variables: the demo key and the seeded accounts', () => {
    expect(script).toContain(`A='Authorization: Bearer ${DEMO.clients.a.apiKey}'`);
    expect(script).toContain(`ALICE=${DEMO.accounts.alice.id}`);
    expect(script).toContain(`SHOP=${DEMO.accounts.shop.id}`);
  });

  it("runs every step of the README's block against the stack's ports, and none against the README's", () => {
    const block = bashBlockAfter(readme, '## Try it: a hold, a capture, a void, an expiry, a refund');
    expect(block).toMatch(/\/capture/);
    expect(block).toMatch(/\/void/);
    expect(block).toMatch(/\/refunds/);
    expect(script).not.toContain('127.0.0.1:3000');
    expect(script).not.toContain('127.0.0.1:3001');
    expect(script).toContain(`T=${urls.transfer}/v1/transfers`);
  });

  it('is valid bash', () => {
    expect(() => execFileSync('bash', ['-n'], { input: script })).not.toThrow();
  });
});
