// A new transfer id's first decision, shared by the two ways a transfer begins: a client's request
// (a payment or a hold) and a refund of a payment. The state machine accepts it as PENDING with its
// TransferRequested; the row is built from that state, so the accept path need not read it back.
import { newId } from '@oncepay/contracts';
import type { OncePayEvent, TransferFacts } from '@oncepay/contracts';
import {
  decide,
  evolve,
  INITIAL_TRANSFER_STATE,
  type KnownTransferState,
} from '@oncepay/transfer-state-machine';
import type { Transfer } from '../generated/prisma/client';
import { newTransferRow } from './transfer.repository';

export interface NewTransfer {
  state: KnownTransferState;
  events: OncePayEvent[];
  row: Transfer;
}

export function newTransfer(
  transfer: TransferFacts,
  meta: { correlationId: string; now: Date },
): NewTransfer {
  const decision = decide(
    {
      type: 'RequestTransfer',
      transfer,
      eventId: newId(),
      correlationId: meta.correlationId,
      now: meta.now,
    },
    INITIAL_TRANSFER_STATE,
  );
  if (decision.outcome !== 'accepted') throw new Error(`a new transfer id was refused: ${decision.outcome}`);
  const state = decision.events.reduce(evolve, INITIAL_TRANSFER_STATE) as KnownTransferState;
  return { state, events: decision.events, row: newTransferRow(state, meta) };
}
