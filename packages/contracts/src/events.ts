// Every event OncePay exchanges, with its payload schema. Each event carries the transfer's facts, so
// any one of them is enough for a consumer to know which transfer it concerns and what it moves.
import { z } from 'zod';
import type { Envelope } from './envelope';
import { idSchema } from './ids';
import { amountMinorSchema, currencySchema } from './money';

// Ids decode in lower case (idSchema), the one spelling every comparison downstream expects: the state
// machine's facts, the ledger's decisions, a refund's payment.
const transferFacts = {
  transferId: idSchema,
  /** The API client that requested the transfer; it may only debit accounts it opened. */
  clientId: z.string().min(1),
  fromAccountId: idSchema,
  toAccountId: idSchema,
  /** For a hold, the amount reserved: a capture moves at most this much. */
  amountMinor: amountMinorSchema,
  currency: currencySchema,
  reference: z.string().max(140).nullable(),
  /**
   * Present on a two-phase transfer (a hold) only: the ledger reserves the amount instead of posting
   * it, and the hold is released by the system if not captured before this instant. Absent from the
   * wire for a one-step transfer, so a plain transfer's events read as they always did.
   */
  holdExpiresAt: z.iso.datetime({ offset: true }).optional(),
  /** Present on a refund only: the transfer (a completed one, or a captured hold) it pays back. */
  refundOf: idSchema.optional(),
};

/** How a hold is released: the client voided it, or the system expired it. */
export const RELEASES = ['VOID', 'EXPIRY'] as const;
export const releaseSchema = z.enum(RELEASES);
export type Release = z.infer<typeof releaseSchema>;

/** Why the ledger refused to post a transfer. */
export const REJECTION_REASONS = [
  'INSUFFICIENT_FUNDS',
  'ACCOUNT_NOT_FOUND',
  'CURRENCY_MISMATCH',
  'SAME_ACCOUNT',
  /** The posting would leave a balance outside the ledger's signed 64-bit range. */
  'BALANCE_OUT_OF_RANGE',
  /**
   * The ledger's handler kept failing on the request (a bug, data no rule foresaw): rather than leave the
   * transfer PENDING, the ledger rejected it as it dead-lettered the request. Nothing was posted.
   */
  'UNPROCESSABLE',
  /**
   * A refund whose amount, with the refunds of the same payment posted before it, would exceed what
   * the payment moved (or the payment was never posted). transfer-service refuses such a refund at
   * the API already; the ledger checks again under its account locks, as the last line of defence.
   */
  'REFUND_EXCEEDS_PAYMENT',
  /** No longer decided (the ledger answers ACCOUNT_NOT_FOUND); kept so that earlier events still decode. */
  'ACCOUNT_NOT_OWNED',
] as const;
export const rejectionReasonSchema = z.enum(REJECTION_REASONS);
export type RejectionReason = z.infer<typeof rejectionReasonSchema>;

const holdFacts = { ...transferFacts, holdExpiresAt: transferFacts.holdExpiresAt.unwrap() };
type Kinds = { transferId: string; holdExpiresAt?: string | undefined; refundOf?: string | undefined };

/**
 * A transfer is a hold, a refund or a plain payment, never two of them; and a refund pays back another
 * transfer, never itself (the ledger's tables refuse that too, so such a request could not even be
 * rejected there).
 */
function checkKind(facts: Kinds, ctx: z.RefinementCtx): void {
  if (facts.holdExpiresAt !== undefined && facts.refundOf !== undefined)
    ctx.addIssue({
      code: 'custom',
      message: 'a transfer is a hold or a refund, not both',
      path: ['refundOf'],
    });
  if (facts.refundOf === facts.transferId)
    ctx.addIssue({
      code: 'custom',
      message: 'a refund pays back another transfer, not itself',
      path: ['refundOf'],
    });
}
/** A hold is captured or released, never posted or completed as a whole. */
const notAHold = (facts: Kinds) => facts.holdExpiresAt === undefined;
const NOT_A_HOLD = { message: 'a hold is captured or released, never posted', path: ['holdExpiresAt'] };
const instant = z.iso.datetime({ offset: true });

export const payloadSchemas = {
  /** transfer-service accepted a transfer request (state PENDING): a payment, a hold or a refund. */
  TransferRequested: z.object(transferFacts).strict().superRefine(checkKind),
  /** ledger-service wrote both journal entries of a payment or a refund. */
  TransferPosted: z
    .object({ ...transferFacts, postedAt: instant })
    .strict()
    .superRefine(checkKind)
    .refine(notAHold, NOT_A_HOLD),
  /** ledger-service refused the transfer (or the hold); nothing was written to the journal. */
  TransferRejected: z
    .object({ ...transferFacts, reason: rejectionReasonSchema })
    .strict()
    .superRefine(checkKind),
  /** transfer-service's final word: the payment or refund is COMPLETED. */
  TransferCompleted: z.object(transferFacts).strict().superRefine(checkKind).refine(notAHold, NOT_A_HOLD),
  /** transfer-service's final word: the transfer (or hold) is FAILED, with the ledger's reason. */
  TransferFailed: z
    .object({ ...transferFacts, reason: rejectionReasonSchema })
    .strict()
    .superRefine(checkKind),
  /** ledger-service reserved the hold's amount: the payer's available balance falls, not its posted one. */
  HoldPlaced: z
    .object({ ...holdFacts, heldAt: instant })
    .strict()
    .superRefine(checkKind),
  /** transfer-service: the client captures the hold, in full or in part (once, in total). */
  CaptureRequested: z
    .object({ ...holdFacts, captureAmountMinor: amountMinorSchema })
    .strict()
    .superRefine(checkKind),
  /** ledger-service posted the captured amount (one DEBIT, one CREDIT) and released the whole hold. */
  HoldCaptured: z
    .object({ ...holdFacts, captureAmountMinor: amountMinorSchema, postedAt: instant })
    .strict()
    .superRefine(checkKind),
  /** transfer-service's final word: the hold is CAPTURED. */
  TransferCaptured: z
    .object({ ...holdFacts, captureAmountMinor: amountMinorSchema })
    .strict()
    .superRefine(checkKind),
  /** transfer-service: release the hold, because the client voided it or because it expired. */
  ReleaseRequested: z
    .object({ ...holdFacts, release: releaseSchema })
    .strict()
    .superRefine(checkKind),
  /** ledger-service released the whole hold; nothing was posted. */
  HoldReleased: z
    .object({ ...holdFacts, release: releaseSchema, releasedAt: instant })
    .strict()
    .superRefine(checkKind),
  /** transfer-service's final word: the client voided the hold. */
  TransferVoided: z.object(holdFacts).strict().superRefine(checkKind),
  /** transfer-service's final word: the hold expired uncaptured and was released. */
  TransferExpired: z.object(holdFacts).strict().superRefine(checkKind),
} as const;

export type EventType = keyof typeof payloadSchemas;
export const EVENT_TYPES = Object.keys(payloadSchemas) as EventType[];

/** The payload version each event type is currently written in (and the only one read). */
export const SCHEMA_VERSIONS: Record<EventType, number> = {
  TransferRequested: 1,
  TransferPosted: 1,
  TransferRejected: 1,
  TransferCompleted: 1,
  TransferFailed: 1,
  HoldPlaced: 1,
  CaptureRequested: 1,
  HoldCaptured: 1,
  TransferCaptured: 1,
  ReleaseRequested: 1,
  HoldReleased: 1,
  TransferVoided: 1,
  TransferExpired: 1,
};

export type PayloadOf<T extends EventType> = z.infer<(typeof payloadSchemas)[T]>;
/** What every event of a transfer says about it (`factsOf` in the state machine strips the rest). */
export type TransferFacts = z.infer<z.ZodObject<typeof transferFacts>>;

type EventByType = { [T in EventType]: Envelope<T, PayloadOf<T>> };
export type TransferRequested = EventByType['TransferRequested'];
export type TransferPosted = EventByType['TransferPosted'];
export type TransferRejected = EventByType['TransferRejected'];
export type TransferCompleted = EventByType['TransferCompleted'];
export type TransferFailed = EventByType['TransferFailed'];
export type HoldPlaced = EventByType['HoldPlaced'];
export type CaptureRequested = EventByType['CaptureRequested'];
export type HoldCaptured = EventByType['HoldCaptured'];
export type TransferCaptured = EventByType['TransferCaptured'];
export type ReleaseRequested = EventByType['ReleaseRequested'];
export type HoldReleased = EventByType['HoldReleased'];
export type TransferVoided = EventByType['TransferVoided'];
export type TransferExpired = EventByType['TransferExpired'];

export type OncePayEvent = EventByType[EventType];
export type EventOf<T extends EventType> = Extract<OncePayEvent, { type: T }>;
