// Refunds a payment (a COMPLETED payment or a CAPTURED hold) once per Idempotency-Key, in ONE
// transaction: the payment's row locked FOR UPDATE, a key stored before answered from what it stored,
// the sum of its refunds PENDING or COMPLETED read under that lock, `decideRefund`, then the refund (a
// new transfer, PENDING, from the payee back to the payer), its TransferRequested and the key in one
// statement (insertTransferOnce). Every refund of a payment is inserted under the payment's lock, so
// two concurrent refunds are decided one after the other and together never exceed it. A refused
// refund stores no key. The ledger checks again against what it posted (REFUND_EXCEEDS_PAYMENT).
import { newId } from '@oncepay/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { answerForStoredKey, fingerprintRequest } from '@oncepay/dedup';
import type { OutboxSignal } from '@oncepay/messaging';
import { OUTBOX_SIGNAL, PG_DATABASE, retentionWindows } from '@oncepay/service-runtime';
import { PgDatabase, type SqlExecutor } from '@oncepay/sql';
import {
  decideRefund,
  paidMinor,
  type RefundDecision,
  type RefundRefusal,
  type TransferState,
} from '@oncepay/transfer-state-machine';
import { keyedAnswerOf, type KeyedAnswer } from '../keyed-request';
import { newTransfer } from '../new-transfer';
import { TransferMetrics } from '../transfer-metrics';
import {
  insertTransferOnce,
  lockTransfers,
  sumRefundingMinor,
  toTransferState,
} from '../transfer.repository';
import { toTransferResource } from '../transfer.resource';
import type { RefundTransferBody } from './refund-transfer.dto';

export interface RefundTransferInput {
  clientId: string;
  paymentId: string;
  idempotencyKey: string;
  correlationId: string;
  body: RefundTransferBody;
}

/** What happened, for the controller to turn into HTTP. */
export type RefundTransferResult =
  | KeyedAnswer
  | { outcome: 'not_found' }
  | { outcome: 'refused'; reason: Exclude<RefundRefusal, 'UNKNOWN_TRANSFER'>; refundableMinor: bigint };

const ACCEPTED = 202;

@Injectable()
export class RefundTransferHandler {
  private readonly keyRetentionMs: number;

  constructor(
    @Inject(PG_DATABASE) private readonly db: PgDatabase,
    @Inject(OUTBOX_SIGNAL) private readonly outboxSignal: OutboxSignal,
    private readonly metrics: TransferMetrics,
    config: ConfigService,
  ) {
    this.keyRetentionMs = retentionWindows(config).idempotencyKeys;
  }

  async execute(input: RefundTransferInput): Promise<RefundTransferResult> {
    const now = new Date();
    const key = {
      clientId: input.clientId,
      key: input.idempotencyKey,
      fingerprint: fingerprintRequest({
        method: 'POST',
        path: `/v1/transfers/${input.paymentId}/refunds`,
        body: { ...input.body, amount: input.body.amount?.toString() },
      }),
      now,
    };
    const result = await this.db.transaction(async (tx): Promise<RefundTransferResult> => {
      const row = (await lockTransfers(tx, [input.paymentId])).get(input.paymentId);
      if (row === undefined || row.clientId !== input.clientId) return { outcome: 'not_found' };
      const stored = await answerForStoredKey(tx, key);
      if (stored.outcome !== 'absent') return keyedAnswerOf(stored);

      const decision = await this.decide(tx, toTransferState(row), input);
      if (decision.outcome === 'refused') {
        if (decision.reason === 'UNKNOWN_TRANSFER') throw new Error('a locked payment was unknown');
        return { outcome: 'refused', reason: decision.reason, refundableMinor: decision.refundableMinor };
      }
      const refund = newTransfer(decision.refund, { correlationId: input.correlationId, now });
      const body = toTransferResource(refund.row);
      const created = await insertTransferOnce(tx, {
        row: refund.row,
        events: refund.events,
        key: { ...key, status: ACCEPTED, body, retentionMs: this.keyRetentionMs },
      });
      // Not created: another request took the key meanwhile (for another payment); nothing was written.
      if (!created) return keyedAnswerOf(await answerForStoredKey(tx, key));
      return { outcome: 'accepted', status: ACCEPTED, body };
    });
    if (result.outcome === 'accepted') {
      // Committed: the relay may publish the refund's TransferRequested now.
      this.outboxSignal.committed();
      this.metrics.transferAccepted();
    }
    return result;
  }

  /** `decideRefund` under the payment's lock; without an amount, what is left refundable. */
  private async decide(
    tx: SqlExecutor,
    payment: TransferState,
    input: RefundTransferInput,
  ): Promise<RefundDecision> {
    const refundingMinor = await sumRefundingMinor(tx, input.paymentId);
    const amountMinor = input.body.amount ?? paidMinor(payment) - refundingMinor;
    const decision = decideRefund(payment, refundingMinor, {
      refundId: newId(),
      clientId: input.clientId,
      amountMinor,
      reference: input.body.reference ?? null,
    });
    // A default amount of nothing: the payment is refunded in full already.
    if (decision.outcome === 'accepted' && amountMinor <= 0n)
      return { outcome: 'refused', reason: 'REFUND_EXCEEDS_PAYMENT', refundableMinor: 0n };
    return decision;
  }
}
