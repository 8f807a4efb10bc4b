// How big and how long a chaos run is: the one place the fault-injection scenarios read the environment.

/**
 * The test
 * suite runs the small default; `npm run chaos` sets CHAOS_PROFILE=long (5x the load, 3 rounds of
 * each fault); CHAOS_SCALE and CHAOS_ROUNDS override either profile.
 * - scale: multiplies every scenario's load (transfers posted) and the money funded for it;
 * - rounds: how many times a scenario injects its fault (kills, restarts, rebalances);
 * - timeoutMs(base): a scenario's time budget grown with the load and the rounds;
 * - mixWorkers: the payment-flow mix's concurrent flows beside a kill scenario's load (payment-mix.ts);
 * - logDir (CHAOS_LOG_DIR): where to keep every service instance's output, unset by default;
 * - keepData (KEEP_CHAOS_DATA): keep the folders of a scenario's own broker or PostgreSQL (their logs).
 */
export const CHAOS = chaosSettings(process.env);

function chaosSettings(env: NodeJS.ProcessEnv) {
  const profile = env.CHAOS_PROFILE ?? 'suite';
  if (profile !== 'suite' && profile !== 'long')
    throw new Error(`CHAOS_PROFILE must be "suite" or "long", got "${profile}"`);
  const defaults = profile === 'long' ? { scale: 5, rounds: 3 } : { scale: 1, rounds: 1 };
  const scale = positiveInteger(env, 'CHAOS_SCALE', defaults.scale);
  const rounds = positiveInteger(env, 'CHAOS_ROUNDS', defaults.rounds);
  return {
    profile,
    scale,
    rounds,
    logDir: env.CHAOS_LOG_DIR || undefined,
    keepData: Boolean(env.KEEP_CHAOS_DATA),
    mixWorkers: 2 + scale,
    /** `baseMs` for scale 1 and one round; each extra unit of load or round adds its share. */
    timeoutMs: (baseMs: number) => Math.round(baseMs * (1 + (scale - 1) * 0.5 + (rounds - 1) * 0.5)),
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
