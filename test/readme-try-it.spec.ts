// Proves the README's try-it names what the seed creates: demo-a's key, and the ids of alice's and
// bob's accounts (derived from their clients and the seed's Idempotency-Keys).
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../scripts/infra/paths';
import { DEMO } from '../scripts/stack/seed';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const shellValue = (name: string) => new RegExp(`^${name}=(\\S+)`, 'm').exec(readme)?.[1];

describe("the README's try-it", () => {
  it("uses the ids of the seeded accounts of alice, bob and demo-a's shop", () => {
    expect(shellValue('ALICE')).toBe(DEMO.accounts.alice.id);
    expect(shellValue('BOB')).toBe(DEMO.accounts.bob.id);
    expect(shellValue('SHOP')).toBe(DEMO.accounts.shop.id);
  });

  it("calls as demo-a with demo-a's published key", () => {
    expect(readme).toContain(`A='Authorization: Bearer ${DEMO.clients.a.apiKey}'`);
  });
});
