// What a newcomer needs to try OncePay at once: a treasury account (the only way money enters, so
// the sum of all balances stays zero), two demo accounts of two demo clients, the first one funded.
// Fixed ids and idempotency keys make seeding safe to repeat on every `npm start`.
import { stackConfig } from '../infra/stack-config';

export const DEMO = {
  currency: 'EUR',
  clients: {
    a: { id: 'demo-a', apiKey: 'oncepay-dev-key-a' },
    b: { id: 'demo-b', apiKey: 'oncepay-dev-key-b' },
  },
  accounts: {
    treasury: '00000000-0000-4000-8000-000000000001',
    alice: '00000000-0000-4000-8000-00000000000a',
    bob: '00000000-0000-4000-8000-00000000000b',
  },
  openingBalanceMinor: '100000',
} as const;

type Client = (typeof DEMO.clients)[keyof typeof DEMO.clients];

export async function seedDemoData(): Promise<void> {
  const ledger = `http://127.0.0.1:${stackConfig.servicePort(stackConfig.services[1]!)}`;
  const transfers = `http://127.0.0.1:${stackConfig.servicePort(stackConfig.services[0]!)}`;
  await openAccount(ledger, DEMO.clients.a, DEMO.accounts.treasury, true);
  await openAccount(ledger, DEMO.clients.a, DEMO.accounts.alice, false);
  await openAccount(ledger, DEMO.clients.b, DEMO.accounts.bob, false);
  await call(`${transfers}/v1/transfers`, DEMO.clients.a, 'seed-fund-alice', {
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

async function call(url: string, client: Client, idempotencyKey: string | null, body: object): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${client.apiKey}`,
  };
  if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response.ok)
    throw new Error(`seeding failed: POST ${url} answered ${response.status} ${await response.text()}`);
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
