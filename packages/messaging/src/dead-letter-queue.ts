// What waits in the dead-letter topics, and the way out of them. Nothing in OncePay consumes a
// dead-letter topic as a group member; instead one operator consumer group (DEAD_LETTER_CURSOR_GROUP,
// namespaced) only ever holds committed offsets: its offset on a dead-letter partition is the cursor,
// and every message before it has been dealt with (replayed or discarded). What lies between the cursor
// (or the low watermark, when retention went past it) and the high watermark is waiting.
//
// Replaying is safe by construction, not by care: a replay publishes the original message (key, value,
// headers) again on its original topic, and the consumers' dedup on the event id makes a second
// delivery of an applied event a no-op. So two operators replaying at once, or a replay that crashed
// before it moved the cursor, at worst deliver an event twice, which changes nothing.
import { randomUUID } from 'node:crypto';
import { deadLetterTopicOf } from '@oncepay/contracts';
import type { Admin, Kafka } from 'kafkajs';
import { DLT_HEADERS } from './dead-letter';
import { toIncomingMessage, type IncomingMessage } from './incoming-message';
import type { ProducerRecord } from './producer';

/** The operator's consumer group whose committed offsets mark what was dealt with (prefix the namespace). */
export const DEAD_LETTER_CURSOR_GROUP = 'oncepay-dlq';

/** Headers a replayed message carries, so its consumers' logs and traces can tell it from the original. */
export const REPLAY_HEADERS = {
  /** The dead letter it was replayed from, as a ref (`topic/partition/offset`). */
  replayedFrom: 'x-oncepay-replayed-from',
  replayedAt: 'x-oncepay-replayed-at',
} as const;

/** Where one dead letter sits. */
export interface DeadLetterRef {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: a decimal string, compared as bigint. */
  offset: string;
}

/** `topic/partition/offset`: topic names never hold a slash, so the form is unambiguous. */
export function formatDeadLetterRef(ref: DeadLetterRef): string {
  return `${ref.topic}/${ref.partition}/${ref.offset}`;
}

/** The ref of `topic/partition/offset`, or a sentence saying what is wrong with it. */
export function parseDeadLetterRef(text: string): DeadLetterRef | string {
  const match = /^([A-Za-z0-9._-]+)\/(\d{1,9})\/(\d{1,19})$/.exec(text);
  if (!match) return `"${text}" is not a dead-letter ref (topic/partition/offset, as list prints it)`;
  const [, topic, partition, offset] = match as unknown as [string, string, string, string];
  return { topic, partition: Number(partition), offset: BigInt(offset).toString() };
}

/** A dead-letter partition's waiting range: offsets `from` (inclusive) to `to` (exclusive). */
export interface WaitingRange {
  topic: string;
  partition: number;
  /** The cursor, or the low watermark when nothing was dealt with yet or retention deleted past it. */
  from: bigint;
  /** The high watermark. */
  to: bigint;
  /** The low watermark: the oldest offset still retained. */
  low: bigint;
}

export interface WaitingCount {
  topic: string;
  /** False when the broker has no such topic (no service created it yet): nothing waits there. */
  exists: boolean;
  waiting: bigint;
  ranges: WaitingRange[];
}

/**
 * How many dead letters wait in each of `topics` (dead-letter topics): per partition, the high
 * watermark minus the cursor of `cursorGroup` (or minus the low watermark, whichever is later).
 */
export async function countWaitingDeadLetters(
  admin: Admin,
  topics: readonly string[],
  cursorGroup: string,
): Promise<WaitingCount[]> {
  const existing = new Set(await admin.listTopics());
  const counts: WaitingCount[] = [];
  for (const topic of topics) {
    if (!existing.has(topic)) {
      counts.push({ topic, exists: false, waiting: 0n, ranges: [] });
      continue;
    }
    const [watermarks, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: cursorGroup, topics: [topic] }),
    ]);
    const cursors = new Map(
      (committed?.partitions ?? []).map(({ partition, offset }) => [partition, BigInt(offset)]),
    );
    const ranges = watermarks
      .map(({ partition, low, high }): WaitingRange => {
        const cursor = cursors.get(partition) ?? -1n;
        const from = cursor > BigInt(low) ? cursor : BigInt(low);
        return { topic, partition, from, to: BigInt(high), low: BigInt(low) };
      })
      .sort((a, b) => a.partition - b.partition);
    const waiting = ranges.reduce((sum, r) => sum + (r.to > r.from ? r.to - r.from : 0n), 0n);
    counts.push({ topic, exists: true, waiting, ranges });
  }
  return counts;
}

/**
 * Reads the messages of the given ranges (each `from` to `to`, exclusive) and returns them in offset
 * order per partition, partitions in the order given. kafkajs reads only as a group member, so the
 * reader is a throwaway group of its own that never commits: the cursor group is never joined, so its
 * offsets can only move through `moveDeadLetterCursor`. Bounded by `timeoutMs`.
 */
export async function readDeadLetters(
  kafka: Kafka,
  ranges: readonly Omit<WaitingRange, 'low'>[],
  options: { readerGroupPrefix: string; timeoutMs?: number },
): Promise<IncomingMessage[]> {
  const wanted = ranges.filter((r) => r.to > r.from);
  if (wanted.length === 0) return [];
  const key = (topic: string, partition: number) => `${topic}/${partition}`;
  const found = new Map<string, Map<string, IncomingMessage>>(
    wanted.map((r) => [key(r.topic, r.partition), new Map()]),
  );
  const rangeOf = new Map(wanted.map((r) => [key(r.topic, r.partition), r]));
  const complete = () =>
    wanted.every((r) => BigInt(found.get(key(r.topic, r.partition))?.size ?? 0) >= r.to - r.from);

  const consumer = kafka.consumer({
    groupId: `${options.readerGroupPrefix}-reader-${randomUUID()}`,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set(wanted.map((r) => r.topic))], fromBeginning: true });
    let finished: () => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      finished = resolve;
      timer = setTimeout(
        () => reject(new Error(`could not read the dead letters within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = rangeOf.get(key(batch.topic, batch.partition));
        const into = found.get(key(batch.topic, batch.partition));
        if (!range || !into) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset >= range.from && offset < range.to)
            into.set(message.offset, toIncomingMessage(batch.topic, batch.partition, message));
        }
        if (complete()) finished();
      },
    });
    // Start each partition at its range rather than at the low watermark (seek needs a running
    // consumer); what arrives before a seek took effect is filtered by range above.
    for (const r of wanted)
      consumer.seek({ topic: r.topic, partition: r.partition, offset: r.from.toString() });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return wanted.flatMap((r) =>
    [...(found.get(key(r.topic, r.partition))?.values() ?? [])].sort((a, b) =>
      BigInt(a.offset) < BigInt(b.offset) ? -1 : 1,
    ),
  );
}

/**
 * Marks everything up to and including `ref` as dealt with: the cursor moves to the next offset, never
 * back over where it stood when read, so a second operator who dealt with more before this one is not
 * undone. Kafka has no compare-and-set for offsets: read and write are two requests, and two operators
 * in the same instant can still leave the cursor at the lower ref. Nothing is lost then: those dead
 * letters show as waiting again, and replaying one twice is absorbed by the consumers' dedup.
 */
export async function moveDeadLetterCursor(
  admin: Admin,
  cursorGroup: string,
  ref: DeadLetterRef,
): Promise<void> {
  const next = BigInt(ref.offset) + 1n;
  const [committed] = await admin.fetchOffsets({ groupId: cursorGroup, topics: [ref.topic] });
  const current = committed?.partitions.find((p) => p.partition === ref.partition);
  if (current && BigInt(current.offset) >= next) return;
  await admin.setOffsets({
    groupId: cursorGroup,
    topic: ref.topic,
    partitions: [{ partition: ref.partition, offset: next.toString() }],
  });
}

/**
 * The record that publishes a dead letter again on its original topic: its key, value and headers as
 * they first arrived (without the `x-dlt-*` ones), plus REPLAY_HEADERS. Refuses a message that is not a
 * dead letter of the topic it came from (its original topic must name the dead-letter topic it is in).
 */
export function replayRecordOf(deadLetter: IncomingMessage, replayedAt: Date): ProducerRecord | string {
  const originalTopic = deadLetter.headers[DLT_HEADERS.originalTopic];
  if (!originalTopic || deadLetterTopicOf(originalTopic) !== deadLetter.topic)
    return `${formatDeadLetterRef(deadLetter)} has no ${DLT_HEADERS.originalTopic} header naming the topic of ${deadLetter.topic}`;
  const dltHeaders = new Set<string>(Object.values(DLT_HEADERS));
  const headers = Object.fromEntries(
    Object.entries(deadLetter.headers).filter(([name]) => !dltHeaders.has(name)),
  );
  return {
    topic: originalTopic,
    key: deadLetter.key ?? '',
    value: deadLetter.value ?? Buffer.alloc(0),
    headers: {
      ...headers,
      [REPLAY_HEADERS.replayedFrom]: formatDeadLetterRef(deadLetter),
      [REPLAY_HEADERS.replayedAt]: replayedAt.toISOString(),
    },
  };
}
