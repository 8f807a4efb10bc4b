// The retention job's batch shape and default windows, in a file of its own (no Nest decorators), so
// the benchmark's scripts (purge-pressure, --prefill) load the very same numbers.

/**
 * Per table and run: DELETEs of 5,000 rows (about 0.1 s each under load: no lock is held long) until
 * the run's time budget is spent; maxBatches only stops a runaway loop.
 */
export const RETENTION_BOUNDS = { batchSize: 5_000, maxBatches: 1_000 } as const;

/**
 * The default windows, in hours, of PROCESSED_MESSAGES_RETENTION_HOURS and OUTBOX_SENT_RETENTION_HOURS
 * (env.ts says why each is that long); idempotency keys live MIN_IDEMPOTENCY_KEY_RETENTION_MS.
 */
export const RETENTION_DEFAULT_HOURS = { processedMessages: 720, outboxSent: 168 } as const;
