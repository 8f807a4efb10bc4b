// Turns a transfer's final event into the notification body. Pure: the same event always gives the same body.
import type {
  TransferCaptured,
  TransferCompleted,
  TransferExpired,
  TransferFailed,
  TransferVoided,
} from '@oncepay/contracts';
import type { NotificationBody, TransferOutcome } from './notification';

/** The transfer-service's final words: one per transfer, whichever kind it is. */
export type TransferOutcomeEvent =
  TransferCompleted | TransferFailed | TransferCaptured | TransferVoided | TransferExpired;

export function notificationBodyOf(event: TransferOutcomeEvent): NotificationBody {
  const { payload } = event;
  return {
    transferId: payload.transferId,
    outcome: outcomeOf(event),
    amount: payload.amountMinor.toString(),
    currency: payload.currency,
    fromAccountId: payload.fromAccountId,
    toAccountId: payload.toAccountId,
    reason: event.type === 'TransferFailed' ? event.payload.reason : null,
    ...(payload.refundOf === undefined ? {} : { refundOf: payload.refundOf }),
    ...(event.type === 'TransferCaptured'
      ? { capturedAmount: event.payload.captureAmountMinor.toString() }
      : {}),
    occurredAt: event.occurredAt,
  };
}

function outcomeOf(event: TransferOutcomeEvent): TransferOutcome {
  switch (event.type) {
    case 'TransferCompleted':
      return 'COMPLETED';
    case 'TransferFailed':
      return 'FAILED';
    case 'TransferCaptured':
      return 'CAPTURED';
    case 'TransferVoided':
      return 'VOIDED';
    case 'TransferExpired':
      return 'EXPIRED';
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
