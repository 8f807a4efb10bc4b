// What a newcomer needs to try OncePay at once: the operator's treasury account (the only way money
// enters, so the sum of all balances stays zero), two demo accounts of two demo clients, the first one
// funded by the operator, and demo-a's shop: a payee demo-a owns, so demo-a can refund what it paid
// into it (a refund debits the payee, and only an account's owner may debit it).
// Fixed idempotency keys make seeding safe to repeat on every `npm start` (and every compose `up`,
// whose one-shot `seed` step runs this file), and fix the accounts' ids: an account's id is derived
// from its client and the key it was opened with (accountIdFor).
import { createLedgerClient, createTransferClient } from '@oncepay/client';
import { accountIdFor } from '@oncepay/contracts';
import { DEV_API_CLIENTS } from '@oncepay/http-edge';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackConfig } from '../infra/stack-config';

const clients = {
  ops: { id: DEV_API_CLIENTS.ops.clientId, apiKey: DEV_API_CLIENTS.ops.key },
  a: { id: DEV_API_CLIENTS.demoA.clientId, apiKey: DEV_API_CLIENTS.demoA.key },
  b: { id: DEV_API_CLIENTS.demoB.clientId, apiKey: DEV_API_CLIENTS.demoB.key },
} as const;

type Client = (typeof clients)[keyof typeof clients];

/** Each demo account: its owner and the Idempotency-Key it is opened with, which fix its id. */
const demoAccount = (owner: Client, key: string) => ({ owner, key, id: accountIdFor(owner.id, key) });

export const DEMO = {
  currency: 'EUR',
  clients,
  accounts: {
    treasury: demoAccount(clients.ops, 'demo-treasury'),
    alice: demoAccount(clients.a, 'demo-alice'),
    bob: demoAccount(clients.b, 'demo-bob'),
    shop: demoAccount(clients.a, 'demo-shop'),
  },
  openingBalanceMinor: '100000',
} as const;

export async function seedDemoData(): Promise<void> {
  const ledgerUrl = stackConfig.serviceUrl(stackConfig.services[1]!);
  const transferUrl = stackConfig.serviceUrl(stackConfig.services[0]!);
  const { treasury, alice, bob, shop } = DEMO.accounts;
  await openAccount(ledgerUrl, treasury, true);
  await openAccount(ledgerUrl, alice, false);
  await openAccount(ledgerUrl, bob, false);
  await openAccount(ledgerUrl, shop, false);
  const transfers = createTransferClient(transferUrl, { apiKey: treasury.owner.apiKey });
  await untilServed(`POST ${transferUrl}/v1/transfers`, () =>
    transfers.POST('/v1/transfers', {
      params: { header: { 'Idempotency-Key': 'seed-fund-alice' } },
      body: {
        fromAccountId: treasury.id,
        toAccountId: alice.id,
        amount: DEMO.openingBalanceMinor,
        currency: DEMO.currency,
        reference: 'opening balance',
      },
    }),
  );
}

function openAccount(
  ledgerUrl: string,
  account: { owner: Client; key: string },
  allowNegativeBalance: boolean,
): Promise<void> {
  const ledger = createLedgerClient(ledgerUrl, { apiKey: account.owner.apiKey });
  return untilServed(`POST ${ledgerUrl}/v1/accounts`, () =>
    ledger.POST('/v1/accounts', {
      params: { header: { 'Idempotency-Key': account.key } },
      body: { currency: DEMO.currency, allowNegativeBalance },
    }),
  );
}

// The compose seed step can start beside the services (a `docker compose restart` restarts every
// container at once), so it waits for them: bounded, like every wait in the stack's scripts.
const SERVICES_TIMEOUT_MS = 120_000;

/**
 * Sends until a service answers below 500 (every call carries a fixed Idempotency-Key, so a second
 * send is safe); any other 4xx than success fails the seeding with the service's problem document.
 */
async function untilServed(
  what: string,
  send: () => Promise<{ response: Response; error?: unknown }>,
): Promise<void> {
  const deadline = Date.now() + SERVICES_TIMEOUT_MS;
  for (;;) {
    const answer = await send().catch((error: unknown) => error as Error);
    if (!(answer instanceof Error) && answer.response.status < 500) {
      if (!answer.response.ok)
        throw new Error(
          `seeding failed: ${what} answered ${answer.response.status} ${JSON.stringify(answer.error)}`,
        );
      return;
    }
    const why = answer instanceof Error ? (answer.cause ?? answer) : `answered ${answer.response.status}`;
    if (Date.now() > deadline) throw new Error(`seeding failed: ${what}: ${String(why)}`);
    await sleep(1_000);
  }
}

export function tryItCurl(): string {
  const port = stackConfig.servicePort(stackConfig.services[0]!);
  return [
    `curl -i -X POST http://127.0.0.1:${port}/v1/transfers \\`,
    `  -H 'Authorization: Bearer ${DEMO.clients.a.apiKey}' \\`,
    `  -H 'Idempotency-Key: my-first-transfer' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"fromAccountId":"${DEMO.accounts.alice.id}","toAccountId":"${DEMO.accounts.bob.id}","amount":"2500","currency":"${DEMO.currency}"}'`,
  ].join('\n');
}

/** `tsx scripts/stack/seed.ts`: the compose stack's seed step (services found through ONCEPAY_*_URL). */
if (require.main === module) {
  seedDemoData().then(
    () =>
      console.log(
        'demo data seeded: the treasury (ops), alice (demo-a, 1000.00 EUR), bob (demo-b) and shop (demo-a)',
      ),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
