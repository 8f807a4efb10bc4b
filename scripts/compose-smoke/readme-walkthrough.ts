// The README's hold walk-through, run as it is written: its shell block, with the try-it's variables in
// front and the README's localhost ports swapped for the stack's, then where each of its transfers and
// alice's balance ended. So the walk-through cannot drift from what the stack does.
import fs from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../infra/paths';
import { DEMO } from '../stack/seed';
import type { StackClient, StackUrls } from '../stack/stack-client';
import { run } from './docker';

const WALKTHROUGH_HEADING = '## Try it: a hold, a capture, a void, an expiry, a refund';
const TRY_IT_HEADING = '## Try it: one transfer, a retry, an overdraft';
/** The try-it's shell variables the walk-through uses. */
const VARIABLES = /^(A|ALICE|BOB|SHOP)=.*$/gm;
const WALKTHROUGH_TIMEOUT_MS = 120_000;

/** The first ```bash block after `heading` in the README. */
export function bashBlockAfter(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`the README has no section "${heading}"`);
  const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block?.[1]) throw new Error(`the README's "${heading}" has no bash block`);
  return block[1];
}

/** The walk-through as a script for `bash -euo pipefail`, against the stack at `urls`. */
export function walkthroughScript(readme: string, urls: StackUrls): string {
  const variables = bashBlockAfter(readme, TRY_IT_HEADING).match(VARIABLES) ?? [];
  const steps = bashBlockAfter(readme, WALKTHROUGH_HEADING)
    .replaceAll('http://127.0.0.1:3000', urls.transfer)
    .replaceAll('http://127.0.0.1:3001', urls.ledger);
  // A walk-through step that never comes is a failure, not a hang: the whole script has a deadline.
  return [...variables, steps, 'echo', 'echo "ids $HOLD $REFUND $VOID $EXPIRES"'].join('\n');
}

/** Runs the walk-through and checks where it left the stack; returns a line for the report. */
export async function runReadmeWalkthrough(client: StackClient, urls: StackUrls): Promise<string> {
  const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const alice = DEMO.accounts.alice.id;
  const before = await client.getAccount(DEMO.clients.a, alice);
  const result = await run('timeout', [String(WALKTHROUGH_TIMEOUT_MS / 1000), 'bash', '-euo', 'pipefail'], {
    input: walkthroughScript(readme, urls),
  });
  const ids = /^ids (\S+) (\S+) (\S+) (\S+)$/m.exec(result.stdout);
  if (!ids) throw new Error(`the walk-through printed no ids:\n${result.stdout}`);
  const [, hold, refund, voided, expired] = ids as unknown as [string, string, string, string, string];
  for (const code of ['HOLD_CAPTURED', 'REFUND_EXCEEDS_PAYMENT', 'HOLD_EXPIRED']) {
    if (!result.stdout.includes(`"code":"${code}"`))
      throw new Error(`the walk-through never answered ${code}`);
  }
  const expect = async (id: string, fields: Record<string, unknown>) => {
    const answer = await client.getTransfer(DEMO.clients.a, id);
    for (const [field, value] of Object.entries(fields)) {
      if (answer.body[field] !== value)
        throw new Error(`transfer ${id}: ${field} is ${String(answer.body[field])}, not ${String(value)}`);
    }
  };
  await expect(hold, { status: 'CAPTURED', capturedAmount: '2500', refundedAmount: '1000' });
  await expect(refund, { status: 'COMPLETED', kind: 'REFUND', refundOf: hold, amount: '1000' });
  await expect(voided, { status: 'VOIDED' });
  await expect(expired, { status: 'EXPIRED', capturedAmount: null });
  const after = await client.getAccount(DEMO.clients.a, alice);
  // Captured 25.00, refunded 10.00: alice is 15.00 down, and nothing is held any more.
  const moved = BigInt(String(before.body.balance)) - BigInt(String(after.body.balance));
  if (moved !== 1500n || after.body.heldAmount !== '0' || after.body.availableBalance !== after.body.balance)
    throw new Error(`alice: ${JSON.stringify(before.body)} -> ${JSON.stringify(after.body)}`);
  return `hold ${hold} CAPTURED 2500 with a refund of 1000, one hold VOIDED, one EXPIRED; alice 1500 down`;
}
