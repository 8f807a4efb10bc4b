// What a newcomer needs to try OncePay at once: the operator's treasury account (the only way money
// enters, so the sum of all balances stays zero), two demo accounts of two demo clients, the first one
// funded by the operator.
// Fixed ids and idempotency keys make seeding safe to repeat on every `npm start` (and every compose
// `up`, whose one-shot `seed` step runs this file).
import { DEV_API_CLIENTS } from '@oncepay/http-edge';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackConfig } from '../infra/stack-config';

export const DEMO = {
  currency: 'EUR',
  clients: {
    ops: { id: DEV_API_CLIENTS.ops.clientId, apiKey: DEV_API_CLIENTS.ops.key },
    a: { id: DEV_API_CLIENTS.demoA.clientId, apiKey: DEV_API_CLIENTS.demoA.key },
    b: { id: DEV_API_CLIENTS.demoB.clientId, apiKey: DEV_API_CLIENTS.demoB.key },
  },
  accounts: {
    // Not ...0001: that id was demo-a's treasury before accounts allowed to go negative became the
    // operator's alone, and a stack seeded then still holds it.
    treasury: '00000000-0000-4000-8000-0000000000f0',
    alice: '00000000-0000-4000-8000-00000000000a',
    bob: '00000000-0000-4000-8000-00000000000b',
  },
  openingBalanceMinor: '100000',
} as const;

type Client = (typeof DEMO.clients)[keyof typeof DEMO.clients];

export async function seedDemoData(): Promise<void> {
  const ledger = stackConfig.serviceUrl(stackConfig.services[1]!);
  const transfers = stackConfig.serviceUrl(stackConfig.services[0]!);
  await openAccount(ledger, DEMO.clients.ops, DEMO.accounts.treasury, true);
  await openAccount(ledger, DEMO.clients.a, DEMO.accounts.alice, false);
  await openAccount(ledger, DEMO.clients.b, DEMO.accounts.bob, false);
  await call(`${transfers}/v1/transfers`, DEMO.clients.ops, 'seed-fund-alice', {
    fromAccountId: DEMO.accounts.treasury,
    toAccountId: DEMO.accounts.alice,
    amount: DEMO.openingBalanceMinor,
    currency: DEMO.currency,
    reference: 'opening balance',
  });
}

function openAccount(
  ledger: string,
  client: Client,
  id: string,
  allowNegativeBalance: boolean,
): Promise<void> {
  return call(`${ledger}/v1/accounts`, client, null, { id, currency: DEMO.currency, allowNegativeBalance });
}

// The compose seed step can start beside the services (a `docker compose restart` restarts every
// container at once), so it waits for them: bounded, like every wait in the stack's scripts.
const SERVICES_TIMEOUT_MS = 120_000;

async function call(url: string, client: Client, idempotencyKey: string | null, body: object): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${client.apiKey}`,
  };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const deadline = Date.now() + SERVICES_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }).catch(
      (error: unknown) => error as Error,
    );
    if (response instanceof Response && response.status < 500) {
      if (!response.ok)
        throw new Error(`seeding failed: POST ${url} answered ${response.status} ${await response.text()}`);
      return;
    }
    const why = response instanceof Response ? `answered ${response.status}` : (response.cause ?? response);
    if (Date.now() > deadline) throw new Error(`seeding failed: POST ${url}: ${String(why)}`);
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
    `  -d '{"fromAccountId":"${DEMO.accounts.alice}","toAccountId":"${DEMO.accounts.bob}","amount":"2500","currency":"${DEMO.currency}"}'`,
  ].join('\n');
}

/** `tsx scripts/stack/seed.ts`: the compose stack's seed step (services found through ONCEPAY_*_URL). */
if (require.main === module) {
  seedDemoData().then(
    () => console.log('demo data seeded: the treasury (ops), alice (demo-a, 1000.00 EUR) and bob (demo-b)'),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
