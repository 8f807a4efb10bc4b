// What each `npm run dlq` command does against Kafka, through @oncepay/messaging: list and show only
// read; replay and discard work through the waiting dead letters in order and move the operator's
// cursor past each one as soon as it is dealt with, so a run that stops halfway resumes where it
// stopped. Each replayed or discarded message is logged as one JSON line (what, which event, who, why).
import {
  countWaitingDeadLetters,
  DEAD_LETTER_CURSOR_GROUP,
  formatDeadLetterRef,
  IdempotentProducer,
  moveDeadLetterCursor,
  readDeadLetters,
  replayRecordOf,
  type createKafkaClient,
  type DeadLetterRef,
  type IncomingMessage,
  type WaitingRange,
} from '@oncepay/messaging';
import type { Selection } from './cli-options';
import { formatList, formatShow, leftUndoneByDiscard, showJson, viewOf } from './dead-letter-view';

type Kafka = ReturnType<typeof createKafkaClient>;
type Admin = ReturnType<Kafka['admin']>;

export interface DlqContext {
  kafka: Kafka;
  admin: Admin;
  namespace: string;
  /** Who runs the command, for the log. */
  operator: string;
  /** Where the output goes, one chunk per call (stdout in main). */
  print: (text: string) => void;
  /** Where warnings go (stderr in main), apart from the JSON lines of `print`. */
  warn: (text: string) => void;
  now?: () => Date;
}

/** 0: done; 1: a dead letter could not be replayed (the cursor stays before it). */
export type DlqExit = 0 | 1;

function cursorGroupOf(context: DlqContext): string {
  return context.namespace + DEAD_LETTER_CURSOR_GROUP;
}

/** The reader's throwaway groups are named after the cursor group, so ACLs can grant both by prefix. */
function readerGroupPrefixOf(context: DlqContext): string {
  return cursorGroupOf(context);
}

export async function listDeadLetters(
  context: DlqContext,
  topics: string[],
  json: boolean,
): Promise<DlqExit> {
  const counts = await countWaitingDeadLetters(context.admin, topics, cursorGroupOf(context));
  const messages = await readDeadLetters(
    context.kafka,
    counts.flatMap((count) => count.ranges),
    {
      readerGroupPrefix: readerGroupPrefixOf(context),
    },
  );
  const views = messages.map(viewOf);
  context.print(
    json
      ? JSON.stringify(
          {
            waiting: counts.map(({ topic, waiting }) => ({ topic, waiting: Number(waiting) })),
            deadLetters: views,
          },
          null,
          2,
        )
      : formatList(counts, views),
  );
  return 0;
}

export async function showDeadLetter(
  context: DlqContext,
  ref: DeadLetterRef,
  json: boolean,
): Promise<DlqExit> {
  const range = await partitionRange(context, ref);
  const offset = BigInt(ref.offset);
  if (offset >= range.to || offset < range.low)
    throw new DlqError(
      `no dead letter at ${formatDeadLetterRef(ref)}: that partition holds offsets ${range.low} to ${range.to - 1n}`,
    );
  const [message] = await readDeadLetters(
    context.kafka,
    [{ topic: ref.topic, partition: ref.partition, from: offset, to: offset + 1n }],
    { readerGroupPrefix: readerGroupPrefixOf(context) },
  );
  if (!message) throw new DlqError(`could not read ${formatDeadLetterRef(ref)}`);
  const status = offset >= range.from ? 'waiting' : 'dealt with (replayed or discarded)';
  context.print(json ? showJson(message, status) : formatShow(message, status));
  return 0;
}

/**
 * Publishes the selected waiting dead letters again, in order, each on its original topic, and moves
 * the cursor past each one after the broker acknowledged it. A message that cannot be replayed (not a
 * dead letter OncePay wrote) stops the run before it, named; the ones before it stay replayed.
 */
export async function replayDeadLetters(
  context: DlqContext,
  selection: Selection,
  reason: string,
): Promise<DlqExit> {
  const messages = await waitingMessages(context, selection);
  if (messages.length === 0) return nothingWaiting(context, selection);
  const producer = new IdempotentProducer(context.kafka);
  await producer.connect();
  try {
    for (const message of messages) {
      const record = replayRecordOf(message, now(context));
      if (typeof record === 'string') {
        context.print(`[dlq] stopped before ${formatDeadLetterRef(message)}: ${record}`);
        return 1;
      }
      await producer.send([record]);
      await moveDeadLetterCursor(context.admin, cursorGroupOf(context), message);
      logDealtWith(context, 'replayed', message, reason, { to: record.topic });
    }
  } finally {
    await producer.disconnect();
  }
  context.print(`[dlq] replayed ${messages.length} dead letter${messages.length === 1 ? '' : 's'}`);
  return 0;
}

/** Marks the selected waiting dead letters dealt with, in order, logging each; publishes nothing. */
export async function discardDeadLetters(
  context: DlqContext,
  selection: Selection,
  reason: string,
): Promise<DlqExit> {
  const messages = await waitingMessages(context, selection);
  if (messages.length === 0) return nothingWaiting(context, selection);
  for (const message of messages) {
    await moveDeadLetterCursor(context.admin, cursorGroupOf(context), message);
    logDealtWith(context, 'discarded', message, reason, {});
    const undone = leftUndoneByDiscard(viewOf(message));
    if (undone !== null) context.warn(`[dlq] WARNING: ${undone}`);
  }
  context.print(`[dlq] discarded ${messages.length} dead letter${messages.length === 1 ? '' : 's'}`);
  return 0;
}

/** A failure the operator should read as a sentence (exit 2), not as a stack. */
export class DlqError extends Error {
  override readonly name = 'DlqError';
}

/** The waiting messages a selection names, in order per partition. */
async function waitingMessages(context: DlqContext, selection: Selection): Promise<IncomingMessage[]> {
  const ranges = await selectedRanges(context, selection);
  return readDeadLetters(context.kafka, ranges, { readerGroupPrefix: readerGroupPrefixOf(context) });
}

async function selectedRanges(context: DlqContext, selection: Selection): Promise<WaitingRange[]> {
  if (selection.kind === 'all') {
    const counts = await countWaitingDeadLetters(context.admin, selection.topics, cursorGroupOf(context));
    return counts.flatMap((count) => count.ranges);
  }
  const { ref } = selection;
  const range = await partitionRange(context, ref);
  const through = BigInt(ref.offset);
  if (through >= range.to)
    throw new DlqError(
      `no dead letter at ${formatDeadLetterRef(ref)}: the partition ends at offset ${range.to - 1n}`,
    );
  return [{ ...range, to: through + 1n }];
}

/** The waiting range of the ref's partition. */
async function partitionRange(context: DlqContext, ref: DeadLetterRef): Promise<WaitingRange> {
  const [count] = await countWaitingDeadLetters(context.admin, [ref.topic], cursorGroupOf(context));
  if (!count?.exists) throw new DlqError(`topic ${ref.topic} does not exist (yet)`);
  const range = count.ranges.find((candidate) => candidate.partition === ref.partition);
  if (!range) throw new DlqError(`topic ${ref.topic} has no partition ${ref.partition}`);
  return range;
}

function nothingWaiting(context: DlqContext, selection: Selection): DlqExit {
  context.print(
    selection.kind === 'through'
      ? `[dlq] nothing waits up to ${formatDeadLetterRef(selection.ref)}: it was dealt with already`
      : '[dlq] no dead letters waiting',
  );
  return 0;
}

function logDealtWith(
  context: DlqContext,
  action: 'replayed' | 'discarded',
  message: IncomingMessage,
  reason: string,
  extra: Record<string, string>,
): void {
  const view = viewOf(message);
  context.print(
    JSON.stringify({
      at: now(context).toISOString(),
      action,
      ref: view.ref,
      eventType: view.eventType,
      eventId: view.eventId,
      transferId: view.transferId,
      ...extra,
      operator: context.operator,
      reason,
    }),
  );
}

function now(context: DlqContext): Date {
  return context.now?.() ?? new Date();
}
