// The transfer trail's wire contract, the same on the three services: `GET /v1/ops/transfers/{transferId}/trail`
// answers what one service knows of one transfer, as entries in time order: what it accepted or consumed
// (with the Kafka topic, partition and offset it read), what it decided and wrote, and the duplicates and
// stale events it absorbed where they happened (docs/adr/0013-the-transfer-trail.md). Operators only:
// a trail shows every client's transfers. The live console joins the three answers into one timeline.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { TRAIL_MARKS, TRAIL_SERVICES, type TrailMark, type TrailService } from '@oncepay/contracts';
import { z } from 'zod';
import { roleRequired } from './api-key.guard';
import type { Role } from './api-keys';
import { apiProblemResponses, documents, jsonContent, problemResponse } from './openapi';

// The names both ends of the trail share live in @oncepay/contracts; re-exported for the services.
export { TRAIL_MARKS, TRAIL_SERVICES, type TrailMark, type TrailService };

/**
 * The entry kinds each service writes (issue 18's contract with the console). `stale-ignored` is every
 * ledger answer transfer-service's state machine ignored, whatever the verdict (stale, duplicate or
 * illegal, in the entry's `status`). `truncated`, on every service, marks where a kind's rows were cut
 * at the per-kind limit (TRAIL_ROWS_PER_KIND in @oncepay/service-runtime).
 */
export const TRAIL_KINDS = {
  transfer: [
    'accepted',
    'outbox-row',
    'consumed',
    'duplicate-absorbed',
    'stale-ignored',
    'status',
    'truncated',
  ],
  ledger: ['consumed', 'decision', 'posting', 'hold', 'outbox-row', 'duplicate-absorbed', 'truncated'],
  notification: [
    'consumed',
    'notification',
    'delivery-attempt',
    'webhook-delivery',
    'duplicate-absorbed',
    'truncated',
  ],
} as const satisfies Record<TrailService, readonly string[]>;
/** Every kind any service writes. */
export type TrailKind = (typeof TRAIL_KINDS)[TrailService][number];
const ALL_TRAIL_KINDS = [...new Set(Object.values(TRAIL_KINDS).flat())] as [TrailKind, ...TrailKind[]];

export interface TrailEntry {
  /** ISO-8601 instant. */
  at: string;
  kind: TrailKind;
  /** One human sentence. */
  summary: string;
  eventId?: string;
  eventType?: string;
  topic?: string;
  partition?: number;
  /** Kafka's offset, a decimal string (int64). */
  offset?: string;
  consumer?: string;
  status?: string;
  marks?: TrailMark[];
}

export interface Trail {
  service: TrailService;
  transferId: string;
  entries: TrailEntry[];
}

const trailEntrySchema = documents<TrailEntry>()(
  z
    .object({
      at: z.iso.datetime().meta({ description: 'When it happened (ISO-8601)' }),
      kind: z.enum(ALL_TRAIL_KINDS).meta({
        description:
          'transfer-service: accepted, outbox-row, consumed, duplicate-absorbed, stale-ignored (every ' +
          'ignored ledger answer; the verdict, stale, duplicate or illegal, in status), status; ' +
          'ledger: consumed, decision, posting, hold, outbox-row, duplicate-absorbed; notification: consumed, ' +
          'notification, delivery-attempt, webhook-delivery, duplicate-absorbed; every service: truncated ' +
          '(the rows of one kind were cut at the per-kind limit here; the summary names them)',
      }),
      summary: z.string().meta({ description: 'What happened, in one sentence' }),
      eventId: z.uuid().optional().meta({ description: 'The envelope id of the event read or written' }),
      eventType: z.string().optional(),
      topic: z.string().optional().meta({ description: 'The Kafka topic it was read from or goes to' }),
      partition: z
        .number()
        .int()
        .min(0)
        .optional()
        .meta({ description: 'The Kafka partition it was read from' }),
      offset: z
        .string()
        .regex(/^[0-9]+$/)
        .optional()
        .meta({ description: 'The Kafka offset it was read at (a decimal string: an int64)' }),
      consumer: z.string().optional().meta({ description: 'The idempotent consumer that read it' }),
      status: z.string().optional().meta({
        description:
          'The status of the row or transfer it describes; for stale-ignored, the verdict (stale, duplicate, illegal)',
      }),
      marks: z.array(z.enum(TRAIL_MARKS)).optional().meta({
        description:
          'duplicate-absorbed: a copy dedup recognised; stale-ignored: an event the state machine ignored',
      }),
    })
    .strict(),
);

const trailSchema = documents<Trail>()(
  z
    .object({
      service: z.enum(TRAIL_SERVICES),
      transferId: z.uuid(),
      entries: z.array(trailEntrySchema).meta({
        description: 'In time order; empty when this service knows nothing of the transfer',
      }),
    })
    .strict(),
);

export const TRAIL_PATH = '/v1/ops/transfers/{transferId}/trail';

/** Registers the trail operation and its schemas in a service's OpenAPI document. */
export function registerTrailPath(api: OpenAPIRegistry, service: TrailService): void {
  const entry = api.register('TrailEntry', trailEntrySchema);
  const trail = api.register('Trail', trailSchema.extend({ entries: z.array(entry) }));
  api.registerPath({
    method: 'get',
    path: TRAIL_PATH,
    operationId: 'getTransferTrail',
    summary: `What the ${service} service knows of one transfer, in time order (operators only)`,
    tags: ['ops'],
    request: {
      params: z.object({ transferId: z.uuid().meta({ description: 'The transfer id' }) }),
    },
    responses: {
      200: {
        description: 'The trail; its entries are empty when this service knows nothing of the transfer',
        content: jsonContent(trail),
      },
      ...apiProblemResponses(400),
      403: problemResponse("OPERATOR_ROLE_REQUIRED: a trail shows every client's transfers"),
      404: problemResponse(
        'Not found: only a path that names no route; an unknown transfer is a 200 with no entries',
      ),
    },
  });
}

/** 403 unless the caller is an operator. */
export function assertTrailReader(role: Role): void {
  if (role !== 'operator') {
    throw roleRequired('operator', "A transfer's trail shows every client's transfers: operators only.");
  }
}

/** The entries in time order; entries at the same instant keep the order they were given in. */
export function inTimeOrder(entries: readonly TrailEntry[]): TrailEntry[] {
  return entries
    .map((entry, i) => ({ entry, i, ms: Date.parse(entry.at) }))
    .sort((a, b) => a.ms - b.ms || a.i - b.i)
    .map(({ entry }) => entry);
}
