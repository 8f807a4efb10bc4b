// Shared test data for the posting rules: two clients, EUR accounts and a request builder, so each test
// states only what differs from a plain, postable transfer.
import type { TransferFacts } from '@oncepay/contracts';
import type { AccountSnapshot } from './posting-decision';

export const NOW = new Date('2025-01-02T03:04:05.000Z');
export const CLIENT_A = 'demo-a';
export const CLIENT_B = 'demo-b';
export const TRANSFER_ID = '7d0a3a54-1f2b-4c6e-9a3d-5b8e2f1c0d9e';

/** A deterministic UUID-shaped account id per number. */
export function accountId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const FROM_ID = accountId(1);
export const TO_ID = accountId(2);

export function account(overrides: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return {
    id: FROM_ID,
    ownerClientId: CLIENT_A,
    currency: 'EUR',
    balanceMinor: 10_000n,
    heldMinor: 0n,
    allowNegativeBalance: false,
    ...overrides,
  };
}

/** Client A moves 2500 EUR minor units from its account FROM_ID to TO_ID (opened by client B). */
export function request(overrides: Partial<TransferFacts> = {}): TransferFacts {
  return {
    transferId: TRANSFER_ID,
    clientId: CLIENT_A,
    fromAccountId: FROM_ID,
    toAccountId: TO_ID,
    amountMinor: 2_500n,
    currency: 'EUR',
    reference: 'invoice 42',
    ...overrides,
  };
}

export const FROM = account();
export const TO = account({ id: TO_ID, ownerClientId: CLIENT_B, balanceMinor: 500n });

export const EXPIRES_AT = '2025-01-09T03:04:05.000Z';

/** Client A asks to hold 2500 EUR minor units of FROM_ID for TO_ID until EXPIRES_AT. */
export function holdRequest(overrides: Partial<TransferFacts> = {}): TransferFacts {
  return request({ holdExpiresAt: EXPIRES_AT, ...overrides });
}
