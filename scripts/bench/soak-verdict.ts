// The soak's verdict: once the retention window has passed, rows keep being written at a steady rate
// and retention keeps deleting them, so every bookkeeping table should hover around rate x window and
// completed/s around the offered rate. The steady samples are split into an earlier and a later half,
// and a series is FLAT when the medians of the two halves differ by at most `tolerance` of the median
// of all of them. A table retention cannot keep up with grows by about rate x (half the steady span)
// between the halves, several times the tolerance once the span is a few windows long; medians, not
// means or a fitted line, so that one stall of a shared machine and the burst of catching up after it
// (which moves every table for about one window) do not decide the verdict. A pure function of the
// samples, so it is unit-tested.

/** One named series of a soak: a table's rows or bytes, or completed/s, sample by sample. */
export interface SoakSeries {
  name: string;
  /** Seconds since the load started, one per sample. */
  atS: readonly number[];
  values: readonly number[];
}

export interface SeriesVerdict {
  name: string;
  /** Samples at or after the steady start. */
  steadySamples: number;
  mean: number;
  min: number;
  max: number;
  /** Median of the later half minus median of the earlier half, over the median of all (0 when all zero). */
  drift: number;
  flat: boolean;
}

export interface SoakVerdict {
  /** Samples before this (seconds since the load started) are the ramp-up, not judged. */
  steadyFromS: number;
  tolerance: number;
  /**
   * `growing`: a series rose by more than the tolerance; `unsteady`: none rose, but one fell by more;
   * `inconclusive`: fewer than MIN_STEADY_SAMPLES fell in the steady part (run longer).
   */
  outcome: 'flat' | 'growing' | 'unsteady' | 'inconclusive';
  series: SeriesVerdict[];
}

/** Two in each half. */
export const MIN_STEADY_SAMPLES = 4;

/**
 * When the steady part starts: the retention window, then two retention intervals (a row expires
 * up to one interval before the run that deletes it, and that run may take part of the next), then
 * one more sample interval so the first judged sample is not the last one of the ramp.
 */
export function steadyStartS(plan: {
  retentionWindowS: number;
  retentionIntervalS: number;
  sampleEveryS: number;
}): number {
  return plan.retentionWindowS + 2 * plan.retentionIntervalS + plan.sampleEveryS;
}

export function judgeSoak(
  series: readonly SoakSeries[],
  options: { steadyFromS: number; tolerance: number },
): SoakVerdict {
  if (!(options.tolerance > 0)) throw new RangeError(`tolerance must be positive, got ${options.tolerance}`);
  const verdicts = series.map((one) => judgeSeries(one, options));
  const conclusive = verdicts.every((verdict) => verdict.steadySamples >= MIN_STEADY_SAMPLES);
  return {
    steadyFromS: options.steadyFromS,
    tolerance: options.tolerance,
    outcome: !conclusive
      ? 'inconclusive'
      : verdicts.every((verdict) => verdict.flat)
        ? 'flat'
        : verdicts.some((verdict) => !verdict.flat && verdict.drift > 0)
          ? 'growing'
          : 'unsteady',
    series: verdicts,
  };
}

function judgeSeries(series: SoakSeries, options: { steadyFromS: number; tolerance: number }): SeriesVerdict {
  if (series.atS.length !== series.values.length)
    throw new RangeError(`${series.name}: ${series.atS.length} times for ${series.values.length} values`);
  const ys = series.values.filter((_, i) => series.atS[i]! >= options.steadyFromS);
  const n = ys.length;
  if (n === 0) return { name: series.name, steadySamples: 0, mean: 0, min: 0, max: 0, drift: 0, flat: false };
  const mean = ys.reduce((sum, y) => sum + y, 0) / n;
  const half = Math.floor(n / 2);
  const change = median(ys.slice(half)) - median(ys.slice(0, half));
  const level = Math.abs(median(ys));
  // A series that is zero throughout (an idle table) is flat; any change from zero is not.
  const drift = level === 0 ? (change === 0 ? 0 : Math.sign(change) * Infinity) : change / level;
  return {
    name: series.name,
    steadySamples: n,
    mean,
    min: Math.min(...ys),
    max: Math.max(...ys),
    drift,
    flat: n >= MIN_STEADY_SAMPLES && Math.abs(drift) <= options.tolerance,
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
