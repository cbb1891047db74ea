/**
 * A deployment's history in memory, and the statistics of "its own normal" computed from it exactly
 * as the healer's PromQL computes them from Prometheus (`baselineQueries` in `queries.ts`):
 *
 * - an instant value at time τ is the last sample in (τ − lookback, τ] (PromQL's lookback);
 * - the trailing quantiles (p10, p50, p90) are `quantile_over_time(q, f[window:resolution] offset
 *   gap)`: the instant values on the grid of multiples of `resolution` in [now − gap − window,
 *   now − gap], interpolated as Prometheus' `quantile` does;
 * - `recent` is `quantile_over_time(0.5, f[recentWindow:resolution])`, ending now, and `peak`
 *   `max_over_time` of the same (of the latency signals only, as the healer queries it);
 * - `last_week` is the median of the same grid one week earlier, centred on now − 1 week;
 * - `slope` is `deriv(f[slopeWindow:resolution])` × 60: the least-squares slope per minute;
 * - a statistic over fewer than `minPoints` grid points is missing.
 *
 * Replay and the training generator use this class, so the model sees the same inputs whether its
 * baselines come from Prometheus or from a replayed file; an e2e test checks the equality against a
 * real Prometheus.
 */
import {
  BASELINE_FEATURES,
  type BaselineContext,
  type BaselineFeatureName,
  type FeatureBaseline,
  type FeatureName,
  type SloInput,
  type SloWindow,
} from '../schema.js';
import { DEFAULT_BASELINE_WINDOWS, checkWindows, type BaselineWindows } from './windows.js';
import { PEAK_FEATURES } from '../queries.js';

/** Prometheus' `quantile(q, values)`: linear interpolation between the closest ranks; NaN when empty. */
export function promQuantile(q: number, values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return interpolate(Float64Array.from(values).sort(), q);
}

/** Least-squares slope of (t, v) in units per second (PromQL `deriv`). */
export function leastSquaresSlope(t: ArrayLike<number>, v: ArrayLike<number>, n: number): number {
  if (n < 2) return NaN;
  // Centre the times like Prometheus does (on the first point) for numerical stability.
  const t0 = t[0] as number;
  let st = 0;
  let sv = 0;
  let stt = 0;
  let stv = 0;
  for (let i = 0; i < n; i++) {
    const x = (t[i] as number) - t0;
    const y = v[i] as number;
    st += x;
    sv += y;
    stt += x * x;
    stv += x * y;
  }
  const cov = stv - (st * sv) / n;
  const varT = stt - (st * st) / n;
  return varT === 0 ? NaN : cov / varT;
}

/** A growable time-ordered series of (t, v). */
class Series {
  t = new Float64Array(64);
  v = new Float64Array(64);
  n = 0;
  /** Index of the first live sample (older ones were pruned). */
  start = 0;

  push(t: number, v: number): void {
    if (this.n > this.start && t < (this.t[this.n - 1] as number)) {
      throw new RangeError(`samples must arrive in time order (${t} < ${this.t[this.n - 1]})`);
    }
    if (this.n > this.start && t === (this.t[this.n - 1] as number)) {
      this.v[this.n - 1] = v; // a repeated timestamp replaces the sample, as a re-scrape would
      return;
    }
    if (this.n === this.t.length) {
      // Compact first if much of the buffer is pruned; grow otherwise.
      if (this.start > this.n / 2) {
        this.t.copyWithin(0, this.start, this.n);
        this.v.copyWithin(0, this.start, this.n);
        this.n -= this.start;
        this.start = 0;
      } else {
        const t2 = new Float64Array(this.t.length * 2);
        const v2 = new Float64Array(this.v.length * 2);
        t2.set(this.t);
        v2.set(this.v);
        this.t = t2;
        this.v = v2;
      }
    }
    this.t[this.n] = t;
    this.v[this.n] = v;
    this.n++;
  }

  /** Drops samples older than `before`. */
  prune(before: number): void {
    while (this.start < this.n && (this.t[this.start] as number) < before) this.start++;
  }

  /** Index of the last sample with time ≤ τ, or start − 1. */
  lastAtOrBefore(tau: number): number {
    let lo = this.start;
    let hi = this.n - 1;
    let ans = this.start - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.t[mid] as number) <= tau) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /**
   * Instant values on the grid of multiples of `step` in [from, to] (PromQL subquery alignment),
   * each the last sample in (τ − lookback, τ]. Writes times and values; returns the count.
   */
  grid(
    from: number,
    to: number,
    step: number,
    lookback: number,
    ts: Float64Array,
    vs: Float64Array,
  ): number {
    let tau = Math.ceil(from / step) * step;
    let k = 0;
    let i = this.lastAtOrBefore(tau);
    for (; tau <= to && k < ts.length; tau += step) {
      while (i + 1 < this.n && (this.t[i + 1] as number) <= tau) i++;
      if (i >= this.start && (this.t[i] as number) > tau - lookback) {
        ts[k] = tau;
        vs[k] = this.v[i] as number;
        k++;
      }
    }
    return k;
  }
}

/**
 * One signal's instant values on the grid of multiples of `resolution`, cached per grid point once
 * it is final (every sample at or before it has been seen), in a ring long enough for last week's
 * window.
 */
class GridCache {
  private readonly values: Float64Array;
  private readonly stamps: Float64Array;
  /** Highest grid index cached (final). */
  private upTo = -Infinity;

  constructor(
    private readonly series: Series,
    private readonly step: number,
    private readonly lookback: number,
    size: number,
  ) {
    this.values = new Float64Array(size);
    this.stamps = new Float64Array(size).fill(NaN);
  }

  /** The instant value at grid index m (τ = m·step), NaN when none; `now` is the latest row time. */
  at(m: number, now: number): number {
    const tau = m * this.step;
    if (tau >= now) return this.compute(tau); // not final yet: a sample at `now` may still replace
    const k = m % this.values.length;
    if (this.stamps[k] === m) return this.values[k] as number;
    const v = this.compute(tau);
    this.stamps[k] = m;
    this.values[k] = v;
    if (m > this.upTo) this.upTo = m;
    return v;
  }

  private compute(tau: number): number {
    const s = this.series;
    const i = s.lastAtOrBefore(tau);
    return i >= s.start && (s.t[i] as number) > tau - this.lookback ? (s.v[i] as number) : NaN;
  }
}

/**
 * The sorted values of a sliding window of grid points, updated by removing the points that left
 * and inserting those that entered, so a step costs O(window) moves instead of a sort.
 */
class SortedWindow {
  from = 0;
  to = -1;
  n = 0;
  readonly sorted: Float64Array;
  constructor(capacity: number) {
    this.sorted = new Float64Array(capacity);
  }

  reset(from: number): void {
    this.from = from;
    this.to = from - 1;
    this.n = 0;
  }

  /** The first index whose value is not below `v` (binary search). */
  private lowerBound(v: number): number {
    const a = this.sorted;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((a[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(v: number): void {
    const a = this.sorted;
    const lo = this.lowerBound(v);
    a.copyWithin(lo + 1, lo, this.n);
    a[lo] = v;
    this.n++;
  }

  remove(v: number): void {
    const a = this.sorted;
    const lo = this.lowerBound(v);
    if (lo < this.n && a[lo] === v) {
      a.copyWithin(lo, lo + 1, this.n);
      this.n--;
    }
  }
}

interface CachedStats {
  /** Grid index of the window end the stats were computed for. */
  end: number;
  stats: FeatureBaseline;
}

/** One deployment's history and the statistics of its normal. */
export class DeploymentHistory {
  private readonly series = new Map<FeatureName, Series>();
  private readonly grids = new Map<FeatureName, GridCache>();
  private readonly trailing = new Map<FeatureName, CachedStats>();
  private readonly windowsOf = new Map<FeatureName, SortedWindow>();
  private readonly slopes = new Map<FeatureName, CachedStats>();
  /** SLO rows: times and running sums of requests, errors and request-weighted p95. */
  private readonly sloT: number[] = [];
  private readonly cumReq: number[] = [0];
  private readonly cumErr: number[] = [0];
  private readonly cumLatW: number[] = [0];
  private readonly cumLat: number[] = [0];
  private sloStart = 0;
  private readonly w: BaselineWindows;
  private readonly scratch: Float64Array;
  private readonly ts: Float64Array;
  private readonly vs: Float64Array;
  private readonly ringSize: number;
  private latest = -Infinity;

  constructor(windows: BaselineWindows = DEFAULT_BASELINE_WINDOWS) {
    this.w = checkWindows(windows);
    const points =
      Math.max(windows.windowSeconds, windows.slopeWindowSeconds) / windows.resolutionSeconds + 2;
    this.scratch = new Float64Array(points);
    this.ts = new Float64Array(points);
    this.vs = new Float64Array(points);
    this.ringSize =
      Math.ceil(
        (windows.weekSeconds + windows.windowSeconds + windows.gapSeconds) /
          windows.resolutionSeconds,
      ) + 4;
  }

  /** Time of the latest observed row (unix seconds), or −Infinity. */
  get lastSeen(): number {
    return this.latest;
  }

  /**
   * Records one row at unix seconds `t`: every finite value; NaN or undefined are missing samples.
   * Rows must arrive in time order.
   */
  observe(t: number, values: Partial<Record<FeatureName, number>>): void {
    if (t < this.latest)
      throw new RangeError(`rows must arrive in time order (${t} < ${this.latest})`);
    const previous = this.latest;
    this.latest = t;
    for (const name in values) {
      const v = values[name as FeatureName];
      if (v === undefined || !Number.isFinite(v)) continue;
      let s = this.series.get(name as FeatureName);
      if (!s) {
        s = new Series();
        this.series.set(name as FeatureName, s);
        this.grids.set(
          name as FeatureName,
          new GridCache(s, this.w.resolutionSeconds, this.w.lookbackSeconds, this.ringSize),
        );
      }
      s.push(t, v);
    }
    // SLO rows: the requests a row stands for are its rate × the time since the previous row
    // (at most the lookback; the first row stands for one resolution step).
    const rps = values.http_requests_per_s;
    const err = values.http_5xx_error_rate;
    const p95 = values.http_p95_latency_seconds;
    const dt = Math.min(
      Math.max(previous === -Infinity ? this.w.resolutionSeconds : t - previous, 0),
      this.w.lookbackSeconds,
    );
    const reqs = rps !== undefined && Number.isFinite(rps) ? rps * dt : 0;
    const n = this.cumReq.length - 1;
    if (n > this.sloStart && this.sloT[n - 1] === t) {
      // A repeated timestamp replaces the row.
      this.sloT.pop();
      this.cumReq.pop();
      this.cumErr.pop();
      this.cumLatW.pop();
      this.cumLat.pop();
    }
    const m = this.cumReq.length - 1;
    this.sloT.push(t);
    this.cumReq.push((this.cumReq[m] as number) + reqs);
    this.cumErr.push(
      (this.cumErr[m] as number) + (err !== undefined && Number.isFinite(err) ? err * reqs : 0),
    );
    const latOk = p95 !== undefined && Number.isFinite(p95) && reqs > 0;
    this.cumLatW.push((this.cumLatW[m] as number) + (latOk ? reqs : 0));
    this.cumLat.push((this.cumLat[m] as number) + (latOk ? (p95 as number) * reqs : 0));
    this.prune(t);
  }

  private prune(t: number): void {
    const w = this.w;
    // The oldest sample any statistic reads: the start of last week's window, minus the lookback.
    const oldest =
      t - w.weekSeconds - w.windowSeconds / 2 - w.lookbackSeconds - w.resolutionSeconds;
    for (const s of this.series.values()) s.prune(oldest);
    const sloOldest = t - 6 * 3600 - w.lookbackSeconds;
    while (this.sloStart < this.sloT.length && (this.sloT[this.sloStart] as number) < sloOldest)
      this.sloStart++;
    if (this.sloStart > 4096 && this.sloStart > this.sloT.length / 2) {
      const k = this.sloStart;
      this.sloT.splice(0, k);
      for (const c of [this.cumReq, this.cumErr, this.cumLatW, this.cumLat]) c.splice(0, k);
      this.sloStart = 0;
    }
  }

  /** The last value of `feature` within the lookback of `t`, or undefined. */
  lastValue(feature: FeatureName, t: number): number | undefined {
    const s = this.series.get(feature);
    if (!s) return undefined;
    const i = s.lastAtOrBefore(t);
    return i >= s.start && (s.t[i] as number) > t - this.w.lookbackSeconds
      ? (s.v[i] as number)
      : undefined;
  }

  /** Grid values with index in [from, to] into ts/vs; returns the count. */
  private gridValues(grid: GridCache, from: number, to: number): number {
    let k = 0;
    const step = this.w.resolutionSeconds;
    for (let m = from; m <= to; m++) {
      const v = grid.at(m, this.latest);
      if (v === v) {
        this.ts[k] = m * step;
        this.vs[k] = v;
        k++;
      }
    }
    return k;
  }

  /** The statistics of one signal at time `t`; empty when there is not enough history. */
  baselineOf(feature: FeatureName, t: number): FeatureBaseline {
    const grid = this.grids.get(feature);
    const out: FeatureBaseline = {};
    if (!grid) return out;
    const w = this.w;
    const step = w.resolutionSeconds;
    // Trailing window [t − gap − window, t − gap] on the grid (PromQL subquery alignment).
    const end = Math.floor((t - w.gapSeconds) / step);
    const cached = this.trailing.get(feature);
    let trailing: FeatureBaseline;
    if (cached && cached.end === end && end * step < this.latest) trailing = cached.stats;
    else {
      trailing = {};
      const from = Math.ceil((t - w.gapSeconds - w.windowSeconds) / step);
      let win = this.windowsOf.get(feature);
      if (!win) this.windowsOf.set(feature, (win = new SortedWindow(this.scratch.length)));
      // Slide when the new window overlaps the old one and only moves forward; else rebuild.
      if (!(from >= win.from && end >= win.to && from <= win.to + 1 && end * step < this.latest))
        win.reset(from);
      for (let m = win.from; m < from; m++) {
        const v = grid.at(m, this.latest);
        if (v === v) win.remove(v);
      }
      for (let m = Math.max(win.to + 1, from); m <= end; m++) {
        const v = grid.at(m, this.latest);
        if (v === v) win.insert(v);
      }
      win.from = from;
      win.to = end;
      if (win.n >= w.minPoints) {
        const sorted = win.sorted.subarray(0, win.n);
        trailing.p10 = interpolate(sorted, 0.1);
        trailing.p50 = interpolate(sorted, 0.5);
        trailing.p90 = interpolate(sorted, 0.9);
      }
      this.trailing.set(feature, { end, stats: trailing });
      // A window that is not final yet (end at or after the latest row) must not be slid later.
      if (end * step >= this.latest) win.reset(from);
    }
    if (trailing.p50 !== undefined) {
      out.p10 = trailing.p10;
      out.p50 = trailing.p50;
      out.p90 = trailing.p90;
    }
    // The recent level: the median of the last few grid points, ending now.
    {
      const n = this.gridValues(
        grid,
        Math.ceil((t - w.recentWindowSeconds) / step),
        Math.floor(t / step),
      );
      if (n >= 1) {
        const sorted = this.scratch.subarray(0, n);
        sorted.set(this.vs.subarray(0, n));
        out.recent = interpolate(sorted.sort(), 0.5);
        if (PEAK_FEATURES.has(feature)) out.peak = sorted[n - 1];
      }
    }
    // Last week: only when the history reaches back that far.
    const s = this.series.get(feature) as Series;
    const weekEnd = t - w.weekSeconds + w.windowSeconds / 2;
    if (s.n > s.start && (s.t[s.start] as number) <= weekEnd) {
      const n = this.gridValues(
        grid,
        Math.ceil((weekEnd - w.windowSeconds) / step),
        Math.floor(weekEnd / step),
      );
      if (n >= w.minPoints) {
        const sorted = this.scratch.subarray(0, n);
        sorted.set(this.vs.subarray(0, n));
        out.last_week = interpolate(sorted.sort(), 0.5);
      }
    }
    // Slope over [t − slopeWindow, t].
    const sEnd = Math.floor(t / step);
    const sc = this.slopes.get(feature);
    if (sc && sc.end === sEnd && sEnd * step < this.latest) {
      if (sc.stats.slope !== undefined) out.slope = sc.stats.slope;
    } else {
      const n = this.gridValues(grid, Math.ceil((t - w.slopeWindowSeconds) / step), sEnd);
      const stats: FeatureBaseline = {};
      if (n >= Math.min(w.minPoints, w.slopeWindowSeconds / step)) {
        const slope = leastSquaresSlope(this.ts, this.vs, n);
        if (Number.isFinite(slope)) stats.slope = slope * 60;
      }
      this.slopes.set(feature, { end: sEnd, stats });
      if (stats.slope !== undefined) out.slope = stats.slope;
    }
    return out;
  }

  /** Every baseline signal's statistics at `t` (signals without history are left out). */
  context(
    t: number,
    features: readonly BaselineFeatureName[] = BASELINE_FEATURES,
  ): BaselineContext {
    const ctx: BaselineContext = {};
    for (const f of features) {
      const b = this.baselineOf(f, t);
      if (b.p50 !== undefined || b.last_week !== undefined || b.slope !== undefined) ctx[f] = b;
    }
    return ctx;
  }

  /** Index of the first SLO row with time > `after`. */
  private firstSloAfter(after: number): number {
    let lo = this.sloStart;
    let hi = this.sloT.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sloT[mid] as number) <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The SLIs over the SLO windows ending at the latest row, from the rows: the request-weighted
   * 5xx ratio, the request count (requests/s × the time each row stands for), and the
   * request-weighted mean of the rows' p95 (an approximation of the pooled p95 PromQL computes
   * from histogram buckets).
   */
  sloWindows(t: number): NonNullable<SloInput['windows']> {
    const out: NonNullable<SloInput['windows']> = {};
    const last = this.firstSloAfter(t); // rows [first, last) are in (t − w, t]
    for (const [name, seconds] of SLO_WINDOW_SECONDS) {
      const first = this.firstSloAfter(t - seconds);
      const requests = (this.cumReq[last] as number) - (this.cumReq[first] as number);
      const errors = (this.cumErr[last] as number) - (this.cumErr[first] as number);
      const latW = (this.cumLatW[last] as number) - (this.cumLatW[first] as number);
      const lat = (this.cumLat[last] as number) - (this.cumLat[first] as number);
      const win: { error_ratio?: number; requests: number; p95_seconds?: number } = {
        requests: Math.max(0, requests),
      };
      if (requests > 1e-12) win.error_ratio = Math.min(1, Math.max(0, errors / requests));
      if (latW > 1e-12) win.p95_seconds = lat / latW;
      out[name] = win;
    }
    return out;
  }
}

export const SLO_WINDOW_SECONDS: readonly (readonly [SloWindow, number])[] = [
  ['5m', 300],
  ['30m', 1800],
  ['1h', 3600],
  ['6h', 21600],
];

/** Quantile of an already sorted array (Prometheus' interpolation). */
function interpolate(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const w = rank - Math.floor(rank);
  return (sorted[lower] as number) * (1 - w) + (sorted[upper] as number) * w;
}

/** Histories of many deployments, keyed `namespace/name`. */
export class FleetHistory {
  private readonly byKey = new Map<string, DeploymentHistory>();
  constructor(private readonly windows: BaselineWindows = DEFAULT_BASELINE_WINDOWS) {}

  of(key: string): DeploymentHistory {
    let h = this.byKey.get(key);
    if (!h) this.byKey.set(key, (h = new DeploymentHistory(this.windows)));
    return h;
  }
}
