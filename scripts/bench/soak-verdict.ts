// The soak's verdict: once the retention window has passed, rows keep being written at a steady rate
// and retention keeps deleting them, so every bookkeeping table should hover around rate x window and
// completed/s around the offered rate. A series is FLAT when the straight line fitted through its
// steady samples (least squares) moves, over the steady span, by at most `tolerance` of the series'
// mean: a table retention cannot keep up with grows by about rate x span, many times the tolerance
// once the span is a few windows long, while the saw-tooth of a purge every interval and the noise of
// the load move the fitted line by little. A pure function of the samples, so it is unit-tested.

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
  /** How far the fitted line moves over the steady span, as a fraction of the mean (0 when all zero). */
  drift: number;
  flat: boolean;
}

export interface SoakVerdict {
  /** Samples before this (seconds since the load started) are the ramp-up, not judged. */
  steadyFromS: number;
  tolerance: number;
  /** `inconclusive` when fewer than MIN_STEADY_SAMPLES fall in the steady part: run longer. */
  outcome: 'flat' | 'growing' | 'inconclusive';
  series: SeriesVerdict[];
}

export const MIN_STEADY_SAMPLES = 3;

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
    outcome: !conclusive ? 'inconclusive' : verdicts.every((verdict) => verdict.flat) ? 'flat' : 'growing',
    series: verdicts,
  };
}

function judgeSeries(series: SoakSeries, options: { steadyFromS: number; tolerance: number }): SeriesVerdict {
  if (series.atS.length !== series.values.length)
    throw new RangeError(`${series.name}: ${series.atS.length} times for ${series.values.length} values`);
  const xs: number[] = [];
  const ys: number[] = [];
  series.atS.forEach((at, i) => {
    if (at >= options.steadyFromS) {
      xs.push(at);
      ys.push(series.values[i]!);
    }
  });
  const n = xs.length;
  if (n === 0) return { name: series.name, steadySamples: 0, mean: 0, min: 0, max: 0, drift: 0, flat: false };
  const mean = ys.reduce((sum, y) => sum + y, 0) / n;
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n;
  let covariance = 0;
  let varianceX = 0;
  for (let i = 0; i < n; i++) {
    covariance += (xs[i]! - meanX) * (ys[i]! - mean);
    varianceX += (xs[i]! - meanX) ** 2;
  }
  const slope = varianceX === 0 ? 0 : covariance / varianceX;
  const change = Math.abs(slope * (xs[n - 1]! - xs[0]!));
  // A series that is zero throughout (an idle table) is flat; any change from zero is not.
  const drift = mean === 0 ? (change === 0 ? 0 : Infinity) : change / Math.abs(mean);
  return {
    name: series.name,
    steadySamples: n,
    mean,
    min: Math.min(...ys),
    max: Math.max(...ys),
    drift,
    flat: n >= MIN_STEADY_SAMPLES && drift <= options.tolerance,
  };
}
