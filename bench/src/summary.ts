/** Percentiles of samples and the median / min / max of figures across runs. */

/** The q-quantile (0–1) of ascending `sorted` samples, nearest-rank; NaN when there are none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** p50, p99 and max of latency samples in milliseconds (sorts a copy). */
export function latencyOf(samples: ArrayLike<number>): Latency {
  const sorted = Float64Array.from(samples).sort();
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN, count: sorted.length };
}

/** One figure over several runs: what the table and the chart show. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** Median, min and max of the finite values of `runs` (NaN where a run produced no figure). */
export function figureOf(runs: number[]): Figure {
  const finite = runs.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs };
  const middle = finite.length >> 1;
  const median = finite.length % 2 ? (finite[middle] ?? Number.NaN) : ((finite[middle - 1] ?? 0) + (finite[middle] ?? 0)) / 2;
  return { median, min: finite[0] ?? Number.NaN, max: finite.at(-1) ?? Number.NaN, runs };
}
