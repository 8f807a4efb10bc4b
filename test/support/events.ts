// Valid sample events for tests, built through the real contracts so they decode like production ones.
import { randomUUID } from 'node:crypto';
import { createEvent, type TransferRequested } from '@oncepay/contracts';

export function sampleTransferRequested(
  overrides: { transferId?: string; amountMinor?: bigint } = {},
): TransferRequested {
  const transferId = overrides.transferId ?? randomUUID();
  return createEvent(
    'TransferRequested',
    {
      transferId,
      clientId: 'demo-a',
      fromAccountId: randomUUID(),
      toAccountId: randomUUID(),
      amountMinor: overrides.amountMinor ?? 1_250n,
      currency: 'EUR',
      reference: null,
    },
    {
      id: randomUUID(),
      occurredAt: new Date(),
      producer: 'test',
      sequence: 1,
      correlationId: randomUUID(),
      causationId: null,
    },
  );
}
