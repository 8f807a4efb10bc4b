// What a notification is, independent of how it is stored or sent: plain TypeScript and zod, no
// framework, ORM or broker code, so the rules here read (and test) on their own.
import { z } from 'zod';

/** COMPLETED or FAILED ends a payment or a refund; CAPTURED, VOIDED or EXPIRED ends a hold (a refused hold FAILED). */
export const TRANSFER_OUTCOMES = ['COMPLETED', 'FAILED', 'CAPTURED', 'VOIDED', 'EXPIRED'] as const;
export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/**
 * `PENDING`: not delivered yet; a dispatcher tries it when it is due.
 * `DELIVERED`: a channel accepted it. `GAVE_UP`: a non-retriable failure or the last allowed attempt failed.
 */
export const NOTIFICATION_STATUSES = ['PENDING', 'DELIVERED', 'GAVE_UP'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * The body every channel sends: a receiver's whole view of a transfer's final outcome. Stored as the
 * notification's payload when it is created, so every attempt sends the same bytes of content.
 */
export const notificationBodySchema = z
  .object({
    transferId: z.uuid(),
    outcome: z.enum(TRANSFER_OUTCOMES),
    /** Minor units as a decimal string: JSON numbers lose precision past 2^53. */
    amount: z.string().regex(/^[1-9][0-9]*$/),
    currency: z.string().regex(/^[A-Z]{3}$/),
    fromAccountId: z.uuid(),
    toAccountId: z.uuid(),
    /** Why the ledger refused the transfer; null unless it FAILED. */
    reason: z.string().nullable(),
    /** A refund only: the payment it paid back. Absent otherwise, so a payment's body reads as it always did. */
    refundOf: z.uuid().optional(),
    /** A CAPTURED hold only: the amount captured (at most `amount`, the amount held), minor units. */
    capturedAmount: z
      .string()
      .regex(/^[1-9][0-9]*$/)
      .optional(),
    /** When the transfer-service decided the outcome (the event's occurredAt). */
    occurredAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export type NotificationBody = z.infer<typeof notificationBodySchema>;

/** A notification as a channel receives it for one delivery attempt. */
export interface Notification {
  id: string;
  transferId: string;
  clientId: string;
  outcome: TransferOutcome;
  /** 1 for the first attempt; receivers see the same notification id on every attempt. */
  attemptNumber: number;
  body: NotificationBody;
}
