// What a notification is, independent of how it is stored or sent: plain TypeScript and zod, no
// framework, ORM or broker code, so the rules here read (and test) on their own.
import { z } from 'zod';

export const TRANSFER_OUTCOMES = ['COMPLETED', 'FAILED'] as const;
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
    /** Why the ledger refused the transfer; null when it COMPLETED. */
    reason: z.string().nullable(),
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
