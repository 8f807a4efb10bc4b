// A client's step on a hold (capture or void), decided once per Idempotency-Key in ONE transaction:
// the hold's row locked FOR UPDATE, a key stored before answered from what it stored, `decide`, then
// the key with the response, the new state (CAPTURING or VOIDING) and the event (CaptureRequested or
// ReleaseRequested) in the outbox, committed together. The row lock serializes every step of one hold
// (a capture, a void, the expiry job): the second sees the first one's status and is refused, so a
// hold ends exactly one way. A refused step stores no key: a retry with the same key is decided again
// (HOLD_NOT_PLACED now, accepted once the ledger placed the hold).
import { newId } from '@oncepay/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { answerForStoredKey, fingerprintRequest, insertIdempotencyKey } from '@oncepay/dedup';
import type { OutboxSignal } from '@oncepay/messaging';
import { OUTBOX_SIGNAL, PG_DATABASE, retentionWindows } from '@oncepay/service-runtime';
import { PgDatabase } from '@oncepay/sql';
import {
  decide,
  evolve,
  type CaptureHold,
  type KnownTransferState,
  type StepRefusal,
  type VoidHold,
} from '@oncepay/transfer-state-machine';
import { keyedAnswerOf, type KeyedAnswer } from '../keyed-request';
import { lockTransfers, saveTransferStates, toTransferState, withState } from '../transfer.repository';
import { toTransferResource } from '../transfer.resource';

/** Which step: a capture of `amountMinor` (the whole hold when absent), or a void. */
export type HoldStep = { type: 'CaptureHold'; amountMinor?: bigint } | { type: 'VoidHold' };

export interface HoldStepInput {
  clientId: string;
  transferId: string;
  idempotencyKey: string;
  correlationId: string;
  step: HoldStep;
  /** The request as understood, for the key's fingerprint: its path and validated body. */
  request: { path: string; body: Record<string, unknown> };
}

/** What happened, for the controller to turn into HTTP. */
export type HoldStepResult =
  | KeyedAnswer
  | { outcome: 'not_found' }
  | { outcome: 'refused'; reason: Exclude<StepRefusal, 'UNKNOWN_TRANSFER' | 'HOLD_NOT_DUE'> };

/** The status of an accepted step, stored with its key for replays. */
const ACCEPTED = 202;

@Injectable()
export class HoldStepHandler {
  private readonly keyRetentionMs: number;

  constructor(
    @Inject(PG_DATABASE) private readonly db: PgDatabase,
    @Inject(OUTBOX_SIGNAL) private readonly outboxSignal: OutboxSignal,
    config: ConfigService,
  ) {
    this.keyRetentionMs = retentionWindows(config).idempotencyKeys;
  }

  async execute(input: HoldStepInput): Promise<HoldStepResult> {
    const fingerprint = fingerprintRequest({ method: 'POST', ...input.request });
    const result = await this.db.transaction(async (tx): Promise<HoldStepResult> => {
      const row = (await lockTransfers(tx, [input.transferId])).get(input.transferId);
      if (row === undefined || row.clientId !== input.clientId) return { outcome: 'not_found' };
      // The clock is read under the lock, not when the request arrived: a step that waited for a
      // connection or for the lock past the hold's expiry is HOLD_EXPIRED, as the expiry job, which
      // reads its clock under the same lock, would have it.
      const now = new Date();
      const key = { clientId: input.clientId, key: input.idempotencyKey, fingerprint, now };
      const stored = await answerForStoredKey(tx, key);
      if (stored.outcome !== 'absent') return keyedAnswerOf(stored);

      const state = toTransferState(row);
      const decision = decide(this.commandFor(input, state, now), state);
      if (decision.outcome === 'refused')
        return { outcome: 'refused', reason: clientRefusal(decision.reason) };
      if (decision.outcome !== 'accepted') throw new Error(`a hold step was decided ${decision.outcome}`);
      const next = decision.events.reduce(evolve, state) as KnownTransferState;
      const body = toTransferResource(withState(row, next, now));

      // The key first: when another request took it meanwhile (the same key sent for another
      // transfer, which this row lock does not serialize), nothing has been written yet.
      const keyStored = await insertIdempotencyKey(tx, {
        ...key,
        status: ACCEPTED,
        body,
        retentionMs: this.keyRetentionMs,
      });
      if (!keyStored) return keyedAnswerOf(await answerForStoredKey(tx, key));
      await saveTransferStates(tx, [next], now, decision.events);
      return { outcome: 'accepted', status: ACCEPTED, body };
    });
    // Committed: the relay may publish the step's event now.
    if (result.outcome === 'accepted') this.outboxSignal.committed();
    return result;
  }

  private commandFor(input: HoldStepInput, state: KnownTransferState, now: Date): CaptureHold | VoidHold {
    const meta = { eventId: newId(), correlationId: input.correlationId, now };
    if (input.step.type === 'VoidHold') return { type: 'VoidHold', ...meta };
    return {
      type: 'CaptureHold',
      captureAmountMinor: input.step.amountMinor ?? state.transfer.amountMinor,
      ...meta,
    };
  }
}

/** A client's step on a transfer it owns: the two refusals left are the expiry job's, or a bug. */
function clientRefusal(reason: StepRefusal): Exclude<StepRefusal, 'UNKNOWN_TRANSFER' | 'HOLD_NOT_DUE'> {
  if (reason === 'UNKNOWN_TRANSFER' || reason === 'HOLD_NOT_DUE')
    throw new Error(`a client's hold step was refused as ${reason}`);
  return reason;
}
