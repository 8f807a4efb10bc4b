// Proves the README's typed-client example works as written: its TypeScript block type-checks against
// the generated client, and run with tsx against a real transfer-service and ledger-service (their URL,
// a test key and two funded accounts put in for the README's), it gets 202 PENDING, then the stored
// answer replayed for the retry with the same Idempotency-Key, and alice pays exactly once.
import { createLedgerClient, createTransferClient } from '@oncepay/client';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../scripts/infra/paths';
import { DEMO } from '../scripts/stack/seed';
import { bootServices, TEST_CLIENTS, waitFor, type BootedServices } from '@oncepay/test-support';

const HEADING = '## A typed client (`@oncepay/client`)';

/** The first ```ts block after `heading` in the README. */
function typeScriptBlockAfter(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`the README has no section "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block?.[1]) throw new Error(`the README's "${heading}" has no ts block`);
  return block[1];
}

/** The compiler's errors for one file, checked with the repository's tsconfig.json (paths included). */
function typeErrors(file: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(REPO_ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  const program = ts.createProgram([file], { ...config!.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe("the README's typed client", () => {
  let stack: BootedServices<'transfer' | 'ledger'> | undefined;
  let transferUrl: string;
  let ledgerUrl: string;

  beforeAll(async () => {
    const booted = await bootServices(['transfer', 'ledger']);
    stack = booted;
    [transferUrl, ledgerUrl] = [booted.baseUrl('transfer'), booted.baseUrl('ledger')];
  }, 120_000);

  afterAll(() => stack?.stop());

  const readmeBlock = async () =>
    typeScriptBlockAfter(await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'), HEADING);

  it("names the stack's transfer-service, demo-a's key and the seeded accounts of alice and bob", async () => {
    const block = await readmeBlock();
    expect(block).toContain("'http://127.0.0.1:3000'");
    expect(block).toContain(`'${DEMO.clients.a.apiKey}'`);
    expect(block).toContain(`'${DEMO.accounts.alice.id}'`);
    expect(block).toContain(`'${DEMO.accounts.bob.id}'`);
  });

  it('type-checks, runs as written, and the retry with the same key is a replay: alice pays once', async () => {
    const ledgerAs = (apiKey: string) => createLedgerClient(ledgerUrl, { apiKey });
    const open = async (apiKey: string, allowNegativeBalance: boolean) =>
      (await ledgerAs(apiKey).POST('/v1/accounts', { body: { currency: 'EUR', allowNegativeBalance } })).data!
        .id;
    const [treasury, alice, bob] = [
      await open(TEST_CLIENTS.operator.apiKey, true),
      await open(TEST_CLIENTS.a.apiKey, false),
      await open(TEST_CLIENTS.b.apiKey, false),
    ];
    const funding = await createTransferClient(transferUrl, { apiKey: TEST_CLIENTS.operator.apiKey }).POST(
      '/v1/transfers',
      {
        params: { header: { 'Idempotency-Key': randomUUID() } },
        body: { fromAccountId: treasury, toAccountId: alice, amount: '10000', currency: 'EUR' },
      },
    );
    expect(funding.response.status).toBe(202);
    const balanceOfAlice = async () =>
      (await ledgerAs(TEST_CLIENTS.a.apiKey).GET('/v1/accounts/{id}', { params: { path: { id: alice } } }))
        .data?.balance;
    await waitFor(balanceOfAlice, (balance) => balance === '10000', { what: 'alice funded' });

    const script = (await readmeBlock())
      .replaceAll('http://127.0.0.1:3000', transferUrl)
      .replaceAll(DEMO.clients.a.apiKey, TEST_CLIENTS.a.apiKey)
      .replaceAll(DEMO.accounts.alice.id, alice)
      .replaceAll(DEMO.accounts.bob.id, bob);
    // Where the README tells a reader to put it: in the clone, so tsconfig.json maps @oncepay/client.
    const file = path.join(REPO_ROOT, `readme-typed-client-${process.pid}.mts`);
    await fs.writeFile(file, script);
    try {
      expect(typeErrors(file)).toEqual([]);
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), file], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout.trim().split('\n')).toEqual(['202 PENDING', 'true true']);
    } finally {
      await fs.rm(file, { force: true });
    }

    const transfersOfAlice = async () =>
      (
        await createTransferClient(transferUrl, { apiKey: TEST_CLIENTS.a.apiKey }).GET('/v1/transfers', {
          params: { query: { accountId: alice } },
        })
      ).data?.data.map(({ amount, status }) => `${amount} ${status}`);
    await waitFor(transfersOfAlice, (transfers) => transfers?.[0] === '2500 COMPLETED', {
      what: "alice's rent to complete",
    });
    expect(await transfersOfAlice()).toEqual(['2500 COMPLETED']);
    expect(await balanceOfAlice()).toBe('7500');
  });
});
