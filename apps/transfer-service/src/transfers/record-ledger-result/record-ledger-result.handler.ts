// The ledger answered transfers: move each one's state machine (PENDING -> COMPLETED or FAILED; a
// hold's PENDING -> HELD, CAPTURING -> CAPTURED, VOIDING -> VOIDED, EXPIRING -> EXPIRED) and write the
// final events to the outbox, a batch at a time in ONE transaction with the dedup records.
// A redelivered, stale or conflicting answer changes nothing; it is logged and counted (TransferMetrics),
// never applied, and recorded for the transfer trail (a redelivery in absorbed_duplicates, an answer
// the state machine ignored in stale_events), in the same transaction.
import { newId } from '@oncepay/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OncePayEvent } from '@oncepay/contracts';
import { handleBatchOnce } from '@oncepay/dedup';
import type { SqlExecutor, PgDatabase } from '@oncepay/sql';
import type { HandleOutcome } from '@oncepay/messaging';
import { PG_DATABASE, type PositionOf } from '@oncepay/service-runtime';
import {
  decide,
  evolve,
  INITIAL_TRANSFER_STATE,
  type KnownTransferState,
  type LedgerAnswer,
  type TransferState,
} from '@oncepay/transfer-state-machine';
import { lockTransfers, saveTransferStates, toTransferState } from '../transfer.repository';
import { TransferMetrics, type LedgerAnswerEffect } from '../transfer-metrics';
import { recordStaleEvents, type IgnoredAnswer } from '../trail/stale-events';

export const RECORD_LEDGER_RESULT_CONSUMER = 'transfer-service.record-ledger-result';

@Injectable()
export class RecordLedgerResultHandler {
  private readonly logger = new Logger(RecordLedgerResultHandler.name);

  /** node-postgres, not Prisma: a batch is a fixed handful of statements, run many times a second. */
  constructor(
    @Inject(PG_DATABASE) private readonly db: PgDatabase,
    private readonly metrics: TransferMetrics,
  ) {}

  /**
   * Applies a batch of ledger answers in one transaction; one outcome per answer, in the same order.
   * `positionOf` says where each answer was read (the consumer knows; a test calling in may not).
   */
  async executeBatch(answers: readonly LedgerAnswer[], positionOf?: PositionOf): Promise<HandleOutcome[]> {
    let batch: BatchState = { states: new Map(), changed: new Map(), ignored: [] };
    const now = new Date();
    const handled = await handleBatchOnce<SqlExecutor, LedgerAnswer, Applied>({
      consumer: RECORD_LEDGER_RESULT_CONSUMER,
      messages: answers,
      // READ COMMITTED is enough: the transfers' row locks serialize their answers.
      transaction: (fn) => this.db.transaction(fn),
      positionOf,
      // Every transfer of the batch locked in one statement, in id order.
      prepare: async (tx, fresh) => {
        const rows = await lockTransfers(
          tx,
          fresh.map((event) => event.aggregateId),
        );
        batch = {
          states: new Map([...rows].map(([id, row]) => [id, toTransferState(row)])),
          changed: new Map(),
          ignored: [],
        };
      },
      effect: async (_tx, event) => this.apply(event, batch, now),
      // What the batch decided, written at once: the new states, then the final events.
      finish: async (tx, results) => {
        await saveTransferStates(
          tx,
          [...batch.changed.values()],
          now,
          results.flatMap((result) => result.finalEvents),
        );
        await recordStaleEvents(tx, RECORD_LEDGER_RESULT_CONSUMER, batch.ignored, positionOf);
      },
    });
    // Committed: now what it did counts.
    this.metrics.ledgerAnswersApplied(
      handled.flatMap((entry) => (entry.outcome === 'processed' ? [entry.result.effect] : [])),
    );
    return handled.map((entry) => (entry.outcome === 'processed' ? entry.result.outcome : 'duplicate'));
  }

  /** Decides one answer against the batch's current state of its transfer (in memory, under the lock). */
  private apply(event: LedgerAnswer, batch: BatchState, now: Date): Applied {
    const id = event.aggregateId.toLowerCase();
    const state = batch.states.get(id) ?? INITIAL_TRANSFER_STATE;
    const decision = decide({ type: 'RecordLedgerResult', event, eventId: newId(), now }, state);
    const context = { transferId: event.aggregateId, eventId: event.id, correlationId: event.correlationId };
    switch (decision.outcome) {
      case 'accepted': {
        const next = [event, ...decision.events].reduce(evolve, state) as KnownTransferState;
        // A later answer for the same transfer in this batch sees this state.
        batch.states.set(id, next);
        batch.changed.set(id, next);
        this.logger.log({ message: `transfer ${next.status}`, ...context });
        return { outcome: 'processed', finalEvents: decision.events, effect: settledEffect(next) };
      }
      case 'duplicate':
        batch.ignored.push(ignoredAnswer(event, state, 'duplicate', null));
        return { outcome: 'duplicate', finalEvents: [], effect: { kind: 'none' } };
      case 'stale':
        this.logger.warn({ message: 'stale ledger result ignored', ...context });
        batch.ignored.push(ignoredAnswer(event, state, 'stale', null));
        return { outcome: 'ignored', finalEvents: [], effect: { kind: 'ignored', reason: 'stale' } };
      case 'illegal':
        this.logger.warn({ message: 'illegal ledger result ignored', reason: decision.reason, ...context });
        batch.ignored.push(ignoredAnswer(event, state, 'illegal', decision.reason));
        return { outcome: 'ignored', finalEvents: [], effect: { kind: 'ignored', reason: 'illegal' } };
      case 'refused':
        throw new Error(`a ledger answer was refused as a hold step: ${decision.reason}`);
    }
  }
}

/** The batch's transfers as locked, updated as its answers are applied, those it changed, the answers ignored. */
interface BatchState {
  states: Map<string, TransferState>;
  changed: Map<string, KnownTransferState>;
  ignored: IgnoredAnswer[];
}

function ignoredAnswer(
  answer: LedgerAnswer,
  state: TransferState,
  verdict: IgnoredAnswer['verdict'],
  detail: string | null,
): IgnoredAnswer {
  return { answer, transferVersion: state.status === 'NONE' ? null : state.version, verdict, detail };
}

export type { LedgerAnswer };

/** One answer's outcome, the final events (TransferCompleted, TransferFailed, TransferCaptured, ...) it produced, what it counts as. */
interface Applied {
  outcome: HandleOutcome;
  finalEvents: OncePayEvent[];
  effect: LedgerAnswerEffect;
}

function settledEffect(state: KnownTransferState): LedgerAnswerEffect {
  switch (state.status) {
    case 'COMPLETED':
      return { kind: 'settled', status: 'COMPLETED' };
    case 'FAILED':
      return { kind: 'settled', status: 'FAILED', reason: state.reason };
    case 'CAPTURED':
    case 'VOIDED':
    case 'EXPIRED':
      return { kind: 'settled', status: state.status };
    // A placed hold (HELD) is not settled: its ending is still to come.
    default:
      return { kind: 'none' };
  }
}

const LEDGER_ANSWER_TYPES: ReadonlySet<OncePayEvent['type']> = new Set<LedgerAnswer['type']>([
  'TransferPosted',
  'TransferRejected',
  'HoldPlaced',
  'HoldCaptured',
  'HoldReleased',
]);

export function isLedgerAnswer(event: OncePayEvent): event is LedgerAnswer {
  return LEDGER_ANSWER_TYPES.has(event.type);
}
