// What a stretch of load wrote to Kafka, from the broker, read before and after (as db-counters.ts does
// for PostgreSQL):
// - messages: the growth of every topic's end offsets (the high watermarks, summed over its partitions),
//   internal ones too (__consumer_offsets: the consumers' offset commits are writes of the run). With
//   idempotent, non-transactional producers one offset is one message.
// - bytes: the growth of the partitions' log segments on disk (the `.log` files; their indexes are
//   preallocated, so their sizes say nothing), which only a broker whose log directory is this
//   machine's and the benchmark's own can give: a stack the benchmark started. KRaft's own metadata log
//   (__cluster_metadata) is not a topic of the run and is left out of both.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createKafkaClient } from '@oncepay/messaging';

/** The end offset of each topic, summed over its partitions. */
export type OffsetReading = Record<string, number>;

export interface KafkaDelta {
  /** Messages appended, by topic (only topics that grew). */
  messagesByTopic: Record<string, number>;
  messages: number;
  /** Log bytes appended on disk; null when not measured, and why in `bytesNote`. */
  bytes: number | null;
  bytesNote: string | null;
}

const METADATA_LOG = '__cluster_metadata';

export async function readTopicEndOffsets(brokers: string[]): Promise<OffsetReading> {
  const kafka = createKafkaClient({
    clientId: 'oncepay-bench',
    brokers,
    connectionTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic !== METADATA_LOG);
    const reading: OffsetReading = {};
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      reading[topic] = offsets.reduce((sum, { high }) => sum + Number(high), 0);
    }
    return reading;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Messages appended per topic from `before` to `after`; a topic created in between counts from 0. */
export function offsetDelta(
  before: OffsetReading,
  after: OffsetReading,
): Pick<KafkaDelta, 'messagesByTopic' | 'messages'> {
  const messagesByTopic: Record<string, number> = {};
  let messages = 0;
  for (const [topic, end] of Object.entries(after)) {
    const grown = end - (before[topic] ?? 0);
    if (grown === 0) continue;
    // End offsets never move back; a topic deleted and created again in between would, and is refused.
    if (grown < 0) throw new Error(`topic ${topic}'s end offsets went back from ${before[topic]} to ${end}`);
    messagesByTopic[topic] = grown;
    messages += grown;
  }
  return { messagesByTopic, messages };
}

/**
 * The bytes of every partition's log segments under a broker's log directory (`<topic>-<partition>`
 * folders of `.log` files).
 */
export async function logSegmentBytes(logDir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(logDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(`${METADATA_LOG}-`)) continue;
    const partitionDir = path.join(logDir, entry.name);
    for (const file of await fs.readdir(partitionDir)) {
      if (!file.endsWith('.log')) continue;
      // A segment removed by retention between the listing and the stat counts nothing.
      const stat = await fs.stat(path.join(partitionDir, file)).catch(() => null);
      total += stat?.size ?? 0;
    }
  }
  return total;
}

export interface KafkaReading {
  offsets: OffsetReading;
  /** null: the log directory is not the benchmark's to read. */
  logBytes: number | null;
}

/** One reading of the broker: end offsets, and the log bytes when `logDir` is given. */
export async function readKafka(brokers: string[], logDir: string | null): Promise<KafkaReading> {
  const [offsets, logBytes] = await Promise.all([
    readTopicEndOffsets(brokers),
    logDir === null ? Promise.resolve(null) : logSegmentBytes(logDir),
  ]);
  return { offsets, logBytes };
}

export const USED_STACK_BYTES_NOTE =
  'not measured: the broker is not one the benchmark started, so its log directory is not read';

export const SHRUNK_LOG_NOTE =
  'not measured: the log segments shrank during the phase (a segment deleted or compacted), so their growth is not what was written';

export function kafkaDelta(before: KafkaReading, after: KafkaReading): KafkaDelta {
  const growth =
    before.logBytes === null || after.logBytes === null ? null : after.logBytes - before.logBytes;
  const bytes = growth !== null && growth >= 0 ? growth : null;
  return {
    ...offsetDelta(before.offsets, after.offsets),
    bytes,
    bytesNote: growth === null ? USED_STACK_BYTES_NOTE : bytes === null ? SHRUNK_LOG_NOTE : null,
  };
}
