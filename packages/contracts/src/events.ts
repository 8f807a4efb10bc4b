// Every event OncePay exchanges, with its payload schema. Each event carries the transfer's facts, so
// any one of them is enough for a consumer to know which transfer it concerns and what it moves.
import { z } from 'zod';
import type { Envelope } from './envelope';
import { amountMinorSchema, currencySchema } from './money';

const transferFacts = {
  transferId: z.uuid(),
  /** The API client that requested the transfer; it may only debit accounts it opened. */
  clientId: z.string().min(1),
  fromAccountId: z.uuid(),
  toAccountId: z.uuid(),
  amountMinor: amountMinorSchema,
  currency: currencySchema,
  reference: z.string().max(140).nullable(),
};

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
  /** No longer decided (the ledger answers ACCOUNT_NOT_FOUND); kept so that earlier events still decode. */
  'ACCOUNT_NOT_OWNED',
] as const;
export const rejectionReasonSchema = z.enum(REJECTION_REASONS);
export type RejectionReason = z.infer<typeof rejectionReasonSchema>;

export const payloadSchemas = {
  /** transfer-service accepted a transfer request (state PENDING). */
  TransferRequested: z.object(transferFacts).strict(),
  /** ledger-service wrote both journal entries. */
  TransferPosted: z.object({ ...transferFacts, postedAt: z.iso.datetime({ offset: true }) }).strict(),
  /** ledger-service refused the transfer; nothing was written to the journal. */
  TransferRejected: z.object({ ...transferFacts, reason: rejectionReasonSchema }).strict(),
  /** transfer-service's final word: the transfer is COMPLETED. */
  TransferCompleted: z.object(transferFacts).strict(),
  /** transfer-service's final word: the transfer is FAILED, with the ledger's reason. */
  TransferFailed: z.object({ ...transferFacts, reason: rejectionReasonSchema }).strict(),
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
};

export type PayloadOf<T extends EventType> = z.infer<(typeof payloadSchemas)[T]>;
export type TransferFacts = PayloadOf<'TransferRequested'>;

export type TransferRequested = Envelope<'TransferRequested', PayloadOf<'TransferRequested'>>;
export type TransferPosted = Envelope<'TransferPosted', PayloadOf<'TransferPosted'>>;
export type TransferRejected = Envelope<'TransferRejected', PayloadOf<'TransferRejected'>>;
export type TransferCompleted = Envelope<'TransferCompleted', PayloadOf<'TransferCompleted'>>;
export type TransferFailed = Envelope<'TransferFailed', PayloadOf<'TransferFailed'>>;

export type OncePayEvent =
  TransferRequested | TransferPosted | TransferRejected | TransferCompleted | TransferFailed;
export type EventOf<T extends EventType> = Extract<OncePayEvent, { type: T }>;
