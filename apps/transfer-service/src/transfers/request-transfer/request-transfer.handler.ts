// Accepts a transfer exactly once per Idempotency-Key. The key is claimed in its own short transaction
// (so a concurrent request with the same key sees it at once and gets 409); then ONE transaction
// stores the transfer (PENDING), its TransferRequested outbox row and the key's stored response.
// The hottest path of the system, so it runs on node-postgres (PgDatabase), not Prisma.
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  fingerprintRequest,
  MIN_IDEMPOTENCY_KEY_RETENTION_MS,
  releaseIdempotencyKey,
} from '@oncepay/dedup';
import { enqueueEvent, type OutboxSignal } from '@oncepay/messaging';
import type { SqlExecutor } from '@oncepay/dedup';
import { OUTBOX_SIGNAL, PG_DATABASE, PgDatabase } from '@oncepay/nest-common';
import {
  decide,
  evolve,
  INITIAL_TRANSFER_STATE,
  type KnownTransferState,
} from '@oncepay/transfer-state-machine';
import { randomUUID } from 'node:crypto';
import { insertTransfer } from '../transfer.repository';
import { toTransferResource, type TransferResource } from '../transfer.resource';
import type { RequestTransferBody } from './request-transfer.dto';

export interface RequestTransferInput {
  clientId: string;
  idempotencyKey: string;
  correlationId: string;
  body: RequestTransferBody;
  /** The body as received, for the request fingerprint. */
  rawBody: unknown;
}

/** What happened, for the controller to turn into HTTP. */
export type RequestTransferResult =
  | { outcome: 'accepted'; status: number; body: TransferResource }
  | { outcome: 'replayed'; status: number; body: unknown }
  | { outcome: 'key_in_flight' }
  | { outcome: 'key_reused_with_other_request' };

/** A crashed request's claim can be taken over after this long. */
const CLAIM_LOCK_TTL_MS = 30_000;

@Injectable()
export class RequestTransferHandler {
  private readonly logger = new Logger(RequestTransferHandler.name);

  constructor(
    @Inject(PG_DATABASE) private readonly db: PgDatabase,
    @Inject(OUTBOX_SIGNAL) private readonly outboxSignal: OutboxSignal,
  ) {}

  async execute(input: RequestTransferInput): Promise<RequestTransferResult> {
    const ref = { clientId: input.clientId, key: input.idempotencyKey };
    const now = new Date();
    const claim = await claimIdempotencyKey(this.db, {
      ...ref,
      fingerprint: fingerprintRequest({ method: 'POST', path: '/v1/transfers', body: input.rawBody }),
      now,
      lockTtlMs: CLAIM_LOCK_TTL_MS,
      retentionMs: MIN_IDEMPOTENCY_KEY_RETENTION_MS,
    });
    switch (claim.outcome) {
      case 'replay':
        return { outcome: 'replayed', status: claim.status, body: claim.body };
      case 'in_flight':
        return { outcome: 'key_in_flight' };
      case 'fingerprint_mismatch':
        return { outcome: 'key_reused_with_other_request' };
      case 'claimed':
        break;
    }
    let accepted: RequestTransferResult;
    try {
      accepted = await this.db.transaction((tx) => this.createTransfer(tx, input, now));
    } catch (error) {
      // Nothing was stored: free the key so the client's retry is processed, not answered 409.
      await releaseIdempotencyKey(this.db, ref).catch(() => undefined);
      throw error;
    }
    // Committed: the relay may publish the TransferRequested now.
    this.outboxSignal.committed();
    return accepted;
  }

  private async createTransfer(
    tx: SqlExecutor,
    input: RequestTransferInput,
    now: Date,
  ): Promise<RequestTransferResult> {
    const transfer = {
      transferId: randomUUID(),
      clientId: input.clientId,
      fromAccountId: input.body.fromAccountId,
      toAccountId: input.body.toAccountId,
      amountMinor: input.body.amount,
      currency: input.body.currency,
      reference: input.body.reference ?? null,
    };
    const decision = decide(
      { type: 'RequestTransfer', transfer, eventId: randomUUID(), correlationId: input.correlationId, now },
      INITIAL_TRANSFER_STATE,
    );
    if (decision.outcome !== 'accepted')
      throw new Error(`a new transfer id was refused: ${decision.outcome}`);
    const state = decision.events.reduce(evolve, INITIAL_TRANSFER_STATE) as KnownTransferState;
    const row = await insertTransfer(tx, state, { correlationId: input.correlationId, now });
    for (const event of decision.events) await enqueueEvent(tx, event);
    const body = toTransferResource(row);
    await completeIdempotencyKey(tx, {
      clientId: input.clientId,
      key: input.idempotencyKey,
      status: 202,
      body,
      now,
    });
    return { outcome: 'accepted', status: 202, body };
  }
}
