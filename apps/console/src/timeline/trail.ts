// Each service's own account of one transfer: `GET /v1/ops/transfers/{transferId}/trail` (operator
// role), asked through the typed client and validated here like any other untrusted input. A service
// that does not serve it (an older version answers 404), refuses the key, or cannot be reached leaves
// its lane "not available" with the reason; the timeline still shows the others and what the console
// saw on the wire.
import { createLedgerClient, createNotificationClient, createTransferClient } from '@oncepay/client';
import { TRAIL_MARKS, TRAIL_SERVICES, type TrailService } from '@oncepay/contracts';
import { z } from 'zod';

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
  fetch?: (request: Request) => Promise<Response>;
}

const TRAIL_PATH = '/v1/ops/transfers/{transferId}/trail';

/** Asks one service for its trail of `transferId`. Never throws: a failure is a lane "not available". */
export async function fetchTrail(options: TrailSourceOptions, transferId: string): Promise<TrailResult> {
  const { service } = options;
  let answer: { response: Response; data?: unknown };
  try {
    answer = await requestTrail(options, transferId);
  } catch (error) {
    return { service, available: false, reason: `unreachable or unreadable: ${describe(error)}` };
  }
  const { response } = answer;
  if (response.status === 404)
    return { service, available: false, reason: 'the service serves no trail (404)' };
  if (!response.ok) return { service, available: false, reason: `the service answered ${response.status}` };
  // The client types the answer from the service's document; the console still checks it, as it would
  // any input from the network, so a service of another version shows as not available, not as a crash.
  const parsed = trailSchema.safeParse(answer.data);
  if (!parsed.success)
    return { service, available: false, reason: `an unexpected trail: ${parsed.error.issues[0]?.message}` };
  if (parsed.data.service !== service || parsed.data.transferId !== transferId)
    return { service, available: false, reason: 'the trail is of another service or transfer' };
  return { service, available: true, entries: parsed.data.entries };
}

/** The same operation on each service, through that service's typed client (@oncepay/client). */
function requestTrail(options: TrailSourceOptions, transferId: string) {
  const clientOptions = { apiKey: options.apiKey, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const request = {
    params: { path: { transferId } },
    signal: AbortSignal.timeout(options.timeoutMs),
  };
  switch (options.service) {
    case 'transfer':
      return createTransferClient(options.baseUrl, clientOptions).GET(TRAIL_PATH, request);
    case 'ledger':
      return createLedgerClient(options.baseUrl, clientOptions).GET(TRAIL_PATH, request);
    case 'notification':
      return createNotificationClient(options.baseUrl, clientOptions).GET(TRAIL_PATH, request);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
