// Turns a transfer's final event into the notification body. Pure: the same event always gives the same body.
import type { TransferCompleted, TransferFailed } from '@oncepay/contracts';
import type { NotificationBody } from './notification';

export type TransferOutcomeEvent = TransferCompleted | TransferFailed;

export function notificationBodyOf(event: TransferOutcomeEvent): NotificationBody {
  const { payload } = event;
  return {
    transferId: payload.transferId,
    outcome: event.type === 'TransferCompleted' ? 'COMPLETED' : 'FAILED',
    amount: payload.amountMinor.toString(),
    currency: payload.currency,
    fromAccountId: payload.fromAccountId,
    toAccountId: payload.toAccountId,
    reason: event.type === 'TransferFailed' ? event.payload.reason : null,
    occurredAt: event.occurredAt,
  };
}
