// The retention job's batch shape, in a file of its own (no Nest decorators), so the benchmark's
// purge-pressure script loads the very same numbers.

/**
 * Per table and run: DELETEs of 5,000 rows (about 0.1 s each under load: no lock is held long) until
 * the run's time budget is spent; maxBatches only stops a runaway loop.
 */
export const RETENTION_BOUNDS = { batchSize: 5_000, maxBatches: 1_000 } as const;
