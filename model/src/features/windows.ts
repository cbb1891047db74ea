/**
 * The windows that define "a deployment's own normal", shared by the PromQL templates the healer
 * runs (`queries.ts`) and the in-memory tracker that replay and training use (`tracker.ts`), so both
 * compute the same statistics from the same history.
 */
export interface BaselineWindows {
  /** Trailing window of the quantiles (PromQL subquery range), seconds. */
  windowSeconds: number;
  /** The trailing window ends this long before now (PromQL `offset`), so a fault does not enter its own baseline at once. */
  gapSeconds: number;
  /** Grid step of the subqueries, seconds. */
  resolutionSeconds: number;
  /** PromQL lookback: an instant value is the last sample at most this old, seconds. */
  lookbackSeconds: number;
  /** Window of the slope (deriv), seconds, ending now. */
  slopeWindowSeconds: number;
  /** Window of the `recent` median, seconds, ending now. */
  recentWindowSeconds: number;
  /** Fewer grid points than this in a window: the statistic is missing (no history yet). */
  minPoints: number;
  /** How far back "last week" is, seconds; the window there is centred on now − this. */
  weekSeconds: number;
}

export const DEFAULT_BASELINE_WINDOWS: BaselineWindows = {
  windowSeconds: 3600,
  gapSeconds: 300,
  resolutionSeconds: 60,
  lookbackSeconds: 300,
  slopeWindowSeconds: 600,
  recentWindowSeconds: 180,
  minPoints: 10,
  weekSeconds: 7 * 24 * 3600,
};

/** `3600` → `1h`, `90` → `1m30s`: a PromQL duration. */
export function promDuration(seconds: number): string {
  if (!(Number.isInteger(seconds) && seconds > 0)) {
    throw new RangeError(
      `a PromQL duration needs a positive whole number of seconds, got ${seconds}`,
    );
  }
  let s = seconds;
  let out = '';
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(s / size);
    if (n > 0) out += `${n}${unit}`;
    s -= n * size;
  }
  return out;
}

/** Validates windows (all positive, minPoints ≥ 2); throws a RangeError naming the field. */
export function checkWindows(w: BaselineWindows): BaselineWindows {
  for (const [k, v] of Object.entries(w)) {
    if (!(Number.isInteger(v) && v > 0))
      throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (w.minPoints < 2) throw new RangeError(`minPoints must be ≥ 2, got ${w.minPoints}`);
  for (const k of ['windowSeconds', 'slopeWindowSeconds', 'recentWindowSeconds'] as const) {
    if (w[k] % w.resolutionSeconds !== 0)
      throw new RangeError(`${k} must be a multiple of resolutionSeconds`);
  }
  return w;
}
