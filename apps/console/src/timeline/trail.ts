// Each service's own account of one transfer: `GET /v1/ops/transfers/{transferId}/trail` (operator
// role), validated here at the edge like any other untrusted input. A service that does not serve it
// (an older version answers 404), refuses the key, or cannot be reached leaves its lane "not available"
// with the reason; the timeline still shows the others and what the console saw on the wire.
import { z } from 'zod';

export const TRAIL_SERVICES = ['transfer', 'ledger', 'notification'] as const;
export type TrailService = (typeof TRAIL_SERVICES)[number];

export const TRAIL_MARKS = ['duplicate-absorbed', 'stale-ignored'] as const;
export type TrailMark = (typeof TRAIL_MARKS)[number];

export const trailEntrySchema = z.object({
  at: z.iso.datetime({ offset: true }),
  kind: z.string().min(1),
  summary: z.string(),
  eventId: z.uuid().optional(),
  eventType: z.string().optional(),
  topic: z.string().optional(),
  partition: z.number().int().min(0).optional(),
  offset: z.string().regex(/^\d+$/).optional(),
  consumer: z.string().optional(),
  status: z.string().optional(),
  marks: z.array(z.enum(TRAIL_MARKS)).optional(),
});
export type TrailEntry = z.infer<typeof trailEntrySchema>;

export const trailSchema = z.object({
  service: z.enum(TRAIL_SERVICES),
  transferId: z.uuid(),
  entries: z.array(trailEntrySchema).max(10_000),
});

/** One service's answer: its entries, or why the console has none from it. */
export type TrailResult =
  | { service: TrailService; available: true; entries: TrailEntry[] }
  | { service: TrailService; available: false; reason: string };

export interface TrailSourceOptions {
  service: TrailService;
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Asks one service for its trail of `transferId`. Never throws: a failure is a lane "not available". */
export async function fetchTrail(options: TrailSourceOptions, transferId: string): Promise<TrailResult> {
  const { service } = options;
  const url = new URL(`/v1/ops/transfers/${encodeURIComponent(transferId)}/trail`, options.baseUrl);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    return { service, available: false, reason: `unreachable: ${describe(error)}` };
  }
  if (response.status === 404)
    return { service, available: false, reason: 'the service serves no trail (404)' };
  if (!response.ok) return { service, available: false, reason: `the service answered ${response.status}` };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { service, available: false, reason: 'the service answered with something that is not JSON' };
  }
  const parsed = trailSchema.safeParse(body);
  if (!parsed.success)
    return { service, available: false, reason: `an unexpected trail: ${parsed.error.issues[0]?.message}` };
  if (parsed.data.service !== service || parsed.data.transferId !== transferId)
    return { service, available: false, reason: 'the trail is of another service or transfer' };
  return { service, available: true, entries: parsed.data.entries };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
