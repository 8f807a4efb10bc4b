// The names the transfer trail's wire contract shares between its two ends: the services that answer
// `GET /v1/ops/transfers/{transferId}/trail` (the documented schema in @oncepay/http-edge) and the live
// console that reads the answers (a tolerant schema of its own, as for any input from the network).
// Plain constants here, so the console gets them without pulling in the services' HTTP framework.

export const TRAIL_SERVICES = ['transfer', 'ledger', 'notification'] as const;
export type TrailService = (typeof TRAIL_SERVICES)[number];

/** How a copy of a message ended where it was read: its dedup absorbed it, or the state machine ignored it. */
export const TRAIL_MARKS = ['duplicate-absorbed', 'stale-ignored'] as const;
export type TrailMark = (typeof TRAIL_MARKS)[number];
