/** Small pure statistics for the benchmark's report. */

/** The p-quantile (0..1) of `xs` by the nearest-rank method; NaN for no data. */
export const quantile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
};

export interface Summary { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number }

export const summarize = (xs: readonly number[]): Summary => ({
  count: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length ? Math.max(...xs) : Number.NaN,
});

/** Least-squares slope of y over x (per unit of x); NaN with fewer than two points. */
export const slope = (points: readonly (readonly [number, number])[]): number => {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
};

/**
 * The heap after collection, per window: the lowest heap-used reading in each `windowMs` (a
 * reading right after a GC is the closest to the live set an outside observer gets).
 */
export const floors = (samples: readonly { readonly at: number; readonly value: number }[], windowMs: number): [number, number][] => {
  if (samples.length === 0) return [];
  const t0 = samples[0]!.at;
  const lows = new Map<number, number>();
  for (const s of samples) {
    const w = Math.floor((s.at - t0) / windowMs);
    lows.set(w, Math.min(lows.get(w) ?? Infinity, s.value));
  }
  return [...lows].sort((a, b) => a[0] - b[0]).map(([w, v]) => [t0 + (w + 0.5) * windowMs, v]);
};

export const MB = 1024 * 1024;
export const round = (x: number, digits = 1): number => Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x;
