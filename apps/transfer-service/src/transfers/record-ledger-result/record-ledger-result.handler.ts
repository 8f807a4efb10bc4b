// The ledger answered a transfer: move its state machine (PENDING -> COMPLETED or FAILED) and write
// the final event to the outbox, in ONE transaction with the dedup record. A redelivered, stale or
// conflicting answer changes nothing; it is logged and counted, never applied.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OncePayEvent, TransferPosted, TransferRejected } from '@oncepay/contracts';
import { handleOnce } from '@oncepay/dedup';
import { enqueueEvent, type HandleOutcome } from '@oncepay/messaging';
import { PRISMA } from '@oncepay/nest-common';
import {
  decide,
  evolve,
  INITIAL_TRANSFER_STATE,
  type KnownTransferState,
} from '@oncepay/transfer-state-machine';
import { randomUUID } from 'node:crypto';
import { TRANSACTION_OPTIONS, type TransferDatabase, type TransferTransaction } from '../../database';
import { lockTransfer, saveTransferState, toTransferState } from '../transfer.repository';

export const RECORD_LEDGER_RESULT_CONSUMER = 'transfer-service.record-ledger-result';

@Injectable()
export class RecordLedgerResultHandler {
  private readonly logger = new Logger(RecordLedgerResultHandler.name);
  /** Events refused by the state machine, by outcome: what an operator watches (exported as metrics later). */
  readonly ignoredCounts = { stale: 0, illegal: 0 };

  constructor(@Inject(PRISMA) private readonly db: TransferDatabase) {}

  async execute(event: OncePayEvent): Promise<HandleOutcome> {
    if (event.type !== 'TransferPosted' && event.type !== 'TransferRejected') return 'ignored';
    const result = await handleOnce<TransferTransaction, HandleOutcome>({
      consumer: RECORD_LEDGER_RESULT_CONSUMER,
      messageId: event.id,
      transaction: (fn) => this.db.$transaction(fn, TRANSACTION_OPTIONS),
      effect: (tx) => this.apply(tx, event),
    });
    return result.outcome === 'duplicate' ? 'duplicate' : result.result;
  }

  private async apply(
    tx: TransferTransaction,
    event: TransferPosted | TransferRejected,
  ): Promise<HandleOutcome> {
    const row = await lockTransfer(tx, event.aggregateId);
    const state = row ? toTransferState(row) : INITIAL_TRANSFER_STATE;
    const now = new Date();
    const decision = decide({ type: 'RecordLedgerResult', event, eventId: randomUUID(), now }, state);
    const context = { transferId: event.aggregateId, eventId: event.id, correlationId: event.correlationId };
    switch (decision.outcome) {
      case 'accepted': {
        const next = [event, ...decision.events].reduce(evolve, state) as KnownTransferState;
        await saveTransferState(tx, next, now);
        for (const final of decision.events) await enqueueEvent(tx, final);
        this.logger.log({ message: `transfer ${next.status}`, ...context });
        return 'processed';
      }
      case 'duplicate':
        return 'duplicate';
      case 'stale':
        this.ignoredCounts.stale += 1;
        this.logger.warn({ message: 'stale ledger result ignored', ...context });
        return 'ignored';
      case 'illegal':
        this.ignoredCounts.illegal += 1;
        this.logger.warn({ message: 'illegal ledger result ignored', reason: decision.reason, ...context });
        return 'ignored';
    }
  }
}
