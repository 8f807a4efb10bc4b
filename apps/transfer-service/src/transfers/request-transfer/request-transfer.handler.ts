// Accepts a transfer (a payment, or a hold when the body asks for one) exactly once per Idempotency-Key:
// ONE statement stores the transfer (PENDING), its TransferRequested outbox row and the key with the
// response to replay, all only if the key is new (insertTransfersOnce), together with the other
// requests that arrived meanwhile (AcceptBatcher: one statement and one commit per batch). A key stored
// before is answered from what it stored; a concurrent request with the same key waits for this one's
// commit (the next batch, or the key's unique index), then replays it. The hottest path of the system,
// on node-postgres (PgDatabase), not Prisma; the 202 only after the commit that holds it all.
import { newId } from '@oncepay/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { fingerprintRequest, writeOnceForKey } from '@oncepay/dedup';
import { PG_DATABASE, retentionWindows } from '@oncepay/service-runtime';
import { PgDatabase } from '@oncepay/sql';
import type { TransferFacts } from '@oncepay/contracts';
import { newTransfer } from '../new-transfer';
import { toTransferResource, type TransferResource } from '../transfer.resource';
import type { RequestTransferBody } from './request-transfer.dto';
import { TransferMetrics } from '../transfer-metrics';
import { AcceptBatcher } from './accept-batcher';

export interface RequestTransferInput {
  clientId: string;
  idempotencyKey: string;
  correlationId: string;
  body: RequestTransferBody;
}

/** What happened, for the controller to turn into HTTP. */
export type RequestTransferResult =
  | { outcome: 'accepted'; status: number; body: TransferResource }
  | { outcome: 'replayed'; status: number; body: unknown }
  | { outcome: 'key_reused_with_other_request' };

/** The status of an accepted transfer, stored with its key for replays. */
const ACCEPTED = 202;

@Injectable()
export class RequestTransferHandler {
  /** 24 h (the API contract), shorter only in a soak or a test (SOAK_RETENTION_SECONDS). */
  private readonly keyRetentionMs: number;

  constructor(
    @Inject(PG_DATABASE) private readonly db: PgDatabase,
    private readonly accepts: AcceptBatcher,
    private readonly metrics: TransferMetrics,
    config: ConfigService,
  ) {
    this.keyRetentionMs = retentionWindows(config).idempotencyKeys;
  }

  async execute(input: RequestTransferInput): Promise<RequestTransferResult> {
    const now = new Date();
    const { row, events } = newTransfer(factsOf(input, now), { correlationId: input.correlationId, now });
    const body = toTransferResource(row);
    const key = {
      clientId: input.clientId,
      key: input.idempotencyKey,
      fingerprint: fingerprintRequest({
        method: 'POST',
        path: '/v1/transfers',
        body: fingerprinted(input.body),
      }),
      status: ACCEPTED,
      body,
      now,
      retentionMs: this.keyRetentionMs,
    };
    const written = await writeOnceForKey(this.db, key, () => this.accepts.write({ row, events, key }));
    switch (written.outcome) {
      case 'created':
        // Committed (the batcher told the relay).
        this.metrics.transferAccepted();
        return { outcome: 'accepted', status: ACCEPTED, body };
      case 'replay':
        return { outcome: 'replayed', status: written.status, body: written.body };
      case 'fingerprint_mismatch':
        return { outcome: 'key_reused_with_other_request' };
    }
  }
}

/** The facts of the transfer the request asks for, under a new id. */
function factsOf(input: RequestTransferInput, now: Date): TransferFacts {
  const { body } = input;
  return {
    transferId: newId(),
    clientId: input.clientId,
    fromAccountId: body.fromAccountId,
    toAccountId: body.toAccountId,
    amountMinor: body.amount,
    currency: body.currency,
    reference: body.reference ?? null,
    // A hold's expiry is fixed at acceptance, to the millisecond the database keeps (toISOString).
    ...(body.hold === undefined
      ? {}
      : { holdExpiresAt: new Date(now.getTime() + body.hold.expiresInSeconds * 1000).toISOString() }),
  };
}

/**
 * The request as it was understood, not as it was spelled: the validated body (ids lower-cased) with
 * the amount back in its wire form. So a retry that writes an id in capitals or orders the keys
 * otherwise is the same request, and a different amount or account is not.
 */
function fingerprinted(body: RequestTransferBody): Record<string, unknown> {
  return { ...body, amount: body.amount.toString() };
}
