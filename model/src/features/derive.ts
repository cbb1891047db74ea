/**
 * From what a client sends (raw features, and optionally the deployment's baseline) to what the
 * network reads: inputs relative to the deployment's own normal, per pod, or relative to limits.
 * Absolute bytes, request rates and CPU percentages never enter as such — only their robust
 * z-scores against the deployment's history — so a cache that always sits at 85 % of its memory
 * limit, or a busy service at 70 % CPU, is judged against itself.
 *
 * Also computes the reference point of the explanation: the same inputs at the deployment's own
 * normal (the baseline medians; healthy values for restarts, readiness and errors), so integrated
 * gradients say "what changed".
 *
 * Pure and allocation-free per row: the caller owns the output arrays.
 */
import {
  BASELINE_FEATURES,
  FEATURES,
  type BaselineContext,
  type BaselineFeatureName,
  type FeatureBaseline,
  type FeatureInput,
  type FeatureName,
  type SloInput,
} from '../schema.js';

/** How a derived input moves with its feature: +1 non-decreasing risk (constrained), 0 free. */
export type Monotone = 0 | 1;

export interface DerivedInput {
  name: string;
  /** The raw feature whose change this input carries: explanations are summed per feature. */
  feature: FeatureName;
  monotone: Monotone;
  description: string;
}

/** The network's inputs, in order. Do not reorder: the artifact's weights depend on it. */
export const DERIVED_INPUTS = [
  {
    name: 'err_level',
    feature: 'http_5xx_error_rate',
    monotone: 1,
    description: 'log1p(5xx ratio / 0.5 %)',
  },
  {
    name: 'err_z',
    feature: 'http_5xx_error_rate',
    monotone: 1,
    description: 'z of the 5xx ratio against how high it normally goes',
  },
  {
    name: 'err_trend',
    feature: 'http_5xx_error_rate',
    monotone: 1,
    description: '10-min slope of the 5xx ratio, × 5 min, in baseline spreads',
  },
  {
    name: 'lat_z',
    feature: 'http_p95_latency_seconds',
    monotone: 1,
    description: 'z of p95 against how high it normally goes (discounts a normally noisy p95)',
  },
  {
    name: 'lat_ratio',
    feature: 'http_p95_latency_seconds',
    monotone: 1,
    description: 'log of p95 / its baseline median',
  },
  {
    name: 'lat_recent',
    feature: 'http_p95_latency_seconds',
    monotone: 1,
    description: 'z of the 3-minute median: sustained, not one noisy sample',
  },
  {
    name: 'lat_trend',
    feature: 'http_p95_latency_seconds',
    monotone: 1,
    description: '10-min slope of p95, × 5 min, in baseline spreads',
  },
  {
    name: 'restarts_per_pod',
    feature: 'restart_count_last_5m',
    monotone: 1,
    description: 'log1p(restarts in 5 min per desired pod)',
  },
  {
    name: 'not_ready',
    feature: 'ready_replica_ratio',
    monotone: 1,
    description: '1 − ready ratio',
  },
  {
    name: 'unavailable_share',
    feature: 'unavailable_replicas',
    monotone: 1,
    description: 'unavailable / desired pods, at most 1',
  },
  {
    name: 'mem_exhaustion',
    feature: 'memory_growth_ratio_per_min',
    monotone: 1,
    description: 'memory growth / headroom to the limit: 1 / minutes to exhaustion',
  },
  {
    name: 'mem_ratio_z',
    feature: 'memory_limit_ratio',
    monotone: 1,
    description: 'z of working set / limit',
  },
  {
    name: 'mem_z',
    feature: 'memory_usage_bytes',
    monotone: 1,
    description: 'z of the working set',
  },
  { name: 'cpu_z', feature: 'cpu_usage_pct', monotone: 1, description: 'z of CPU usage' },
  {
    name: 'cpu_trend',
    feature: 'cpu_usage_pct',
    monotone: 1,
    description: '10-min slope of CPU, × 5 min, in baseline spreads',
  },
  {
    name: 'cpu_rise',
    feature: 'cpu_usage_pct',
    monotone: 1,
    description: 'CPU above its baseline median, as a share of the limit (saturation)',
  },
  {
    name: 'throttle_z',
    feature: 'cpu_throttle_ratio',
    monotone: 1,
    description: 'z of the throttled share',
  },
  {
    name: 'rps_z',
    feature: 'http_requests_per_s',
    monotone: 0,
    description: 'z of request rate (drops and surges)',
  },
  {
    name: 'rx_z',
    feature: 'network_receive_bytes_per_s',
    monotone: 0,
    description: 'z of bytes received',
  },
] as const satisfies readonly DerivedInput[];

export type DerivedInputName = (typeof DERIVED_INPUTS)[number]['name'];
export const N_INPUTS = DERIVED_INPUTS.length;
export const N_FEATURES = FEATURES.length;

/** Index of each raw feature, and of each derived input's feature. */
export const FEATURE_INDEX = Object.fromEntries(FEATURES.map((f, i) => [f.name, i])) as Record<
  FeatureName,
  number
>;
export const INPUT_OWNER: Int32Array = Int32Array.from(
  DERIVED_INPUTS.map((d) => FEATURE_INDEX[d.feature]),
);

/**
 * The floor of each baseline's spread: a signal that never moved (p10 = p90) would otherwise turn
 * any change into an infinite z. A spread is at least `REL_FLOOR` × |median| and this value.
 */
export const SPREAD_FLOOR: Record<BaselineFeatureName, number> = {
  http_5xx_error_rate: 0.002,
  http_p95_latency_seconds: 0.005,
  http_requests_per_s: 0.05,
  cpu_usage_pct: 0.5,
  memory_usage_bytes: 4 * 2 ** 20,
  memory_limit_ratio: 0.01,
  network_receive_bytes_per_s: 200,
  cpu_throttle_ratio: 0.01,
  http_caller_p95_latency_seconds: 0.005,
};
export const REL_FLOOR = 0.05;
/** The 10th and 90th percentiles of a normal distribution are 1.2816 σ from its median. */
export const Q90_SIGMA = 1.2816;
/** Latency ratios are taken on p95 + this, so near-zero latencies do not explode. */
const LAT_EPS = 0.005;

/**
 * sign(z)·log1p(|z|/2): keeps the order of z, compresses its tails (z = 900 → 6.1). A zero z is
 * returned as is (log1p(±0) is ±0) without the call: every z of a row without a baseline, and most
 * of a reference's (at its own normal), are zero.
 */
export function squash(z: number): number {
  if (z === 0) return z;
  return z < 0 ? -Math.log1p(-z / 2) : Math.log1p(z / 2);
}

/** Math.log1p, returning ±0 as is (log1p(±0) is ±0): the reference's errors and restarts are 0. */
const log1p = (y: number): number => (y === 0 ? y : Math.log1p(y));

const F = FEATURE_INDEX;
const DEFAULTS = Float64Array.from(FEATURES.map((f) => f.default));
const NAMES = FEATURES.map((f) => f.name);
const REQUIRED = Uint8Array.from(FEATURES.map((f) => (f.required ? 1 : 0)));
/**
 * The reference's raw values before the baseline medians: the healthy value where it is known
 * without history (the explanation starts from it), NaN for "the value used" (no change).
 */
const HEALTHY_OR_NAN = Float64Array.from(FEATURES, () => NaN);
for (const [name, v] of [
  ['restart_count_last_5m', 0],
  ['ready_replica_ratio', 1],
  ['unavailable_replicas', 0],
  ['http_5xx_error_rate', 0],
  ['memory_growth_ratio_per_min', 0],
  ['cpu_throttle_ratio', 0],
] as const)
  HEALTHY_OR_NAN[FEATURE_INDEX[name]] = v;

/** A required feature is missing or a value is not a finite number. */
export class DeriveInputError extends Error {
  override readonly name = 'DeriveInputError';
  constructor(
    readonly feature: FeatureName,
    readonly reason: 'required' | 'finite',
    message: string,
  ) {
    super(message);
  }
}

export interface Stats {
  /** The normal level (trailing median), NaN without history. */
  median: number;
  /** How far it normally strays down and up, in σ-equivalents (p50 − p10, p90 − p50 over 1.28). */
  down: number;
  up: number;
  week: number;
  recent: number;
  slope: number;
  /** The largest value of the recent window (the baseline's `peak`), NaN when not sent. */
  peak: number;
}
/** Statistics of no baseline (every field NaN). */
export const newStats = (): Stats => ({
  median: NaN,
  down: NaN,
  up: NaN,
  week: NaN,
  recent: NaN,
  slope: NaN,
  peak: NaN,
});

const num = (x: unknown): number => (typeof x === 'number' && x - x === 0 ? x : NaN);

/** Scratch and results of one derivation; reuse one per caller to avoid allocation. */
export class Derivation {
  /** Raw feature values used (imputed where omitted), in schema order. */
  readonly raw = new Float64Array(N_FEATURES);
  /** The reference raw values (the deployment's normal), in schema order. */
  readonly refRaw = new Float64Array(N_FEATURES);
  /** Network inputs at the current values and at the reference. */
  readonly x = new Float64Array(N_INPUTS);
  readonly ref = new Float64Array(N_INPUTS);
  /** Bit i set: feature i was imputed. */
  imputedMask = 0;
  /** Scratch: the statistics of each baseline signal, in BASELINE_FEATURES order. */
  readonly stats: Stats[] = Array.from({ length: BASELINE_FEATURES.length }, newStats);
  /** Scratch: the baseline of each signal as sent, in BASELINE_FEATURES order. */
  readonly baselines: (FeatureBaseline | undefined)[] = new Array<undefined>(
    BASELINE_FEATURES.length,
  ).fill(undefined);
}

/**
 * z of v against the trailing median — or against last week's median when that is less
 * surprising (a daily peak) — in units of `spread`. Harmful-upward signals take the smaller of the
 * two (the input stays monotone in v); free signals the one closer to zero.
 */
export function zOf(v: number, s: Stats, spread: number, up: boolean): number {
  if (!(spread > 0)) return 0;
  const z = (v - s.median) / spread;
  if (s.week !== s.week) return z;
  const zw = (v - s.week) / spread;
  if (up) return zw < z ? zw : z;
  return Math.abs(zw) < Math.abs(z) ? zw : z;
}

/** A free signal's z: against the upper spread above the median, the lower one below. */
function zTwoSided(v: number, s: Stats): number {
  return zOf(v, s, v >= s.median ? s.up : s.down, false);
}

/** The slope over 5 minutes in (upper) spreads: how far the signal is heading. */
function trendOf(s: Stats): number {
  return s.up > 0 && s.slope === s.slope ? (5 * s.slope) / s.up : 0;
}

/** Baseline features in the order of `Derivation.stats`; S maps each to its position. */
const STATS_ORDER: readonly BaselineFeatureName[] = BASELINE_FEATURES;
const N_STATS = STATS_ORDER.length;
const STATS_FEATURE_INDEX = Int32Array.from(STATS_ORDER, (f) => F[f]);
const STATS_SPREAD_FLOOR = Float64Array.from(STATS_ORDER, (f) => SPREAD_FLOOR[f]);
const S = Object.fromEntries(STATS_ORDER.map((f, k) => [f, k])) as Record<
  BaselineFeatureName,
  number
>;
const S_ERR = S.http_5xx_error_rate;
const S_LAT = S.http_p95_latency_seconds;
const S_CPU = S.cpu_usage_pct;

const inputIndex = (name: DerivedInputName): number =>
  DERIVED_INPUTS.findIndex((d) => d.name === name);
/**
 * Inputs that are a signal's squashed z against its own normal: harmful upward (against its
 * upper spread) or free (`zTwoSided`). Their indices, and the feature and stats each reads.
 */
const UP_Z = Int32Array.from(
  ['err_z', 'lat_z', 'mem_ratio_z', 'mem_z', 'cpu_z', 'throttle_z'] as const,
  inputIndex,
);
const TWO_SIDED_Z = Int32Array.from(['rps_z', 'rx_z'] as const, inputIndex);
const featureOf = (i: number): BaselineFeatureName =>
  DERIVED_INPUTS[i]!.feature as BaselineFeatureName;
const UP_Z_FEATURE = Int32Array.from(UP_Z, (i) => F[featureOf(i)]);
const UP_Z_STATS = Int32Array.from(UP_Z, (i) => S[featureOf(i)]);
const TWO_SIDED_FEATURE = Int32Array.from(TWO_SIDED_Z, (i) => F[featureOf(i)]);
const TWO_SIDED_STATS = Int32Array.from(TWO_SIDED_Z, (i) => S[featureOf(i)]);

/**
 * Writes the network inputs for raw values `v` (schema order) into `out`, except those of
 * HISTORY_INPUTS, which do not depend on `v` (`historyInto`). The z inputs go through one loop
 * each, so their helpers are inlined once rather than at a dozen call sites.
 */
function inputsInto(v: Float64Array, st: readonly Stats[], out: Float64Array): void {
  for (let u = 0; u < UP_Z.length; u++) {
    const s = st[UP_Z_STATS[u] as number] as Stats;
    out[UP_Z[u] as number] = squash(zOf(v[UP_Z_FEATURE[u] as number] as number, s, s.up, true));
  }
  for (let u = 0; u < TWO_SIDED_Z.length; u++) {
    const s = st[TWO_SIDED_STATS[u] as number] as Stats;
    out[TWO_SIDED_Z[u] as number] = squash(
      zTwoSided(v[TWO_SIDED_FEATURE[u] as number] as number, s),
    );
  }
  const replicas = Math.max(1, v[F.replicas] as number);
  const sLat = st[S_LAT] as Stats;
  const sCpu = st[S_CPU] as Stats;
  out[0] = log1p((v[F.http_5xx_error_rate] as number) / 0.005);
  out[4] =
    sLat.median === sLat.median
      ? Math.log(
          ((v[F.http_p95_latency_seconds] as number) + LAT_EPS) /
            (Math.max(sLat.median, 0) + LAT_EPS),
        )
      : 0;
  out[7] = log1p((v[F.restart_count_last_5m] as number) / replicas);
  out[8] = 1 - Math.min(1, Math.max(0, v[F.ready_replica_ratio] as number));
  out[9] = Math.min(1, (v[F.unavailable_replicas] as number) / replicas);
  const headroom = Math.max(1 - (v[F.memory_limit_ratio] as number), 0.05);
  out[10] = Math.max(-1, Math.min(5, (v[F.memory_growth_ratio_per_min] as number) / headroom));
  out[15] =
    sCpu.median === sCpu.median
      ? Math.max(-2, Math.min(2, ((v[F.cpu_usage_pct] as number) - sCpu.median) / 100))
      : 0;
}

/**
 * The inputs that describe the history, not the current value (trends, the recent level): the
 * row's from its stats alone; the reference has none (HISTORY_INPUTS stay 0 there), so "what
 * changed" includes how they moved away from the normal.
 */
function historyInto(st: readonly Stats[], out: Float64Array): void {
  const sLat = st[S_LAT] as Stats;
  out[2] = squash(trendOf(st[S_ERR] as Stats));
  out[5] = sLat.recent === sLat.recent ? squash(zOf(sLat.recent, sLat, sLat.up, true)) : 0;
  out[6] = squash(trendOf(sLat));
  out[14] = squash(trendOf(st[S_CPU] as Stats));
}
const HISTORY_INPUTS = [2, 5, 6, 14];

/**
 * Fills `out` with the statistics of baseline signal k (all NaN without a baseline `b`).
 */
function statsInto(b: FeatureBaseline | undefined, k: number, out: Stats): void {
  if (b === undefined) {
    out.median = out.down = out.up = out.week = out.recent = out.slope = out.peak = NaN;
    return;
  }
  statsOfValues(
    num(b.p10),
    num(b.p50),
    num(b.p90),
    num(b.last_week),
    num(b.recent),
    num(b.slope),
    num(b.peak),
    k,
    out,
  );
}

/** `statsInto` from the statistics' values (NaN: not sent). */
function statsOfValues(
  lo: number,
  median: number,
  hi: number,
  week: number,
  recent: number,
  slope: number,
  peak: number,
  k: number,
  out: Stats,
): void {
  let down = NaN;
  let up = NaN;
  if (median === median) {
    const floor = Math.max(REL_FLOOR * Math.abs(median), STATS_SPREAD_FLOOR[k] as number);
    down = Math.max(lo === lo ? (median - lo) / Q90_SIGMA : 0, floor);
    up = Math.max(hi === hi ? (hi - median) / Q90_SIGMA : 0, floor);
  }
  out.median = median;
  out.down = down;
  out.up = up;
  out.week = week;
  out.recent = recent;
  out.slope = slope;
  out.peak = peak;
}

/**
 * The baselines of a batch sent as columns (the columnar request): per signal in
 * BASELINE_FEATURES order, per statistic in BASELINE_STATS order, its value per row (null or
 * absent: not sent). Scoring reads them in place of each row's `baseline` object.
 */
export interface BaselineColumns {
  readonly stats: readonly (readonly (ArrayLike<number | null> | undefined)[] | undefined)[];
}

const at = (a: ArrayLike<number | null> | undefined, r: number): number => num(a?.[r]);

/** Each baseline signal's statistics of row r of `cols` into `st` (as `allStatsInto`). */
function statsFromColumns(cols: BaselineColumns, r: number, st: readonly Stats[]): void {
  for (let k = 0; k < N_STATS; k++) {
    const c = cols.stats[k];
    const out = st[k] as Stats;
    if (c === undefined) {
      out.median = out.down = out.up = out.week = out.recent = out.slope = out.peak = NaN;
      continue;
    }
    // BASELINE_STATS order: p10, p50, p90, recent, last_week, slope, peak.
    statsOfValues(
      at(c[0], r),
      at(c[1], r),
      at(c[2], r),
      at(c[4], r),
      at(c[3], r),
      at(c[5], r),
      at(c[6], r),
      k,
      out,
    );
  }
}

/**
 * Each baseline signal's statistics into `Derivation.stats`. The baselines are read by name, one
 * property load each (a load by a name that varies from call to call is megamorphic: a hash
 * lookup each time), into `scratch`; then one loop fills the stats. Every signal of
 * BASELINE_FEATURES must be read here (the reference test compares each one's stats).
 */
function allStatsInto(
  ctx: BaselineContext | undefined,
  scratch: (FeatureBaseline | undefined)[],
  st: readonly Stats[],
): void {
  if (ctx === undefined) scratch.fill(undefined);
  else {
    scratch[S.http_5xx_error_rate] = ctx.http_5xx_error_rate;
    scratch[S.http_p95_latency_seconds] = ctx.http_p95_latency_seconds;
    scratch[S.http_requests_per_s] = ctx.http_requests_per_s;
    scratch[S.cpu_usage_pct] = ctx.cpu_usage_pct;
    scratch[S.memory_usage_bytes] = ctx.memory_usage_bytes;
    scratch[S.memory_limit_ratio] = ctx.memory_limit_ratio;
    scratch[S.network_receive_bytes_per_s] = ctx.network_receive_bytes_per_s;
    scratch[S.cpu_throttle_ratio] = ctx.cpu_throttle_ratio;
    scratch[S.http_caller_p95_latency_seconds] = ctx.http_caller_p95_latency_seconds;
  }
  for (let k = 0; k < N_STATS; k++) statsInto(scratch[k], k, st[k] as Stats);
}

/**
 * Validates one sent value into `raw[i]`; returns bit i when it was omitted (imputed). Small
 * enough to be inlined at each of its 14 calls (a call would box every value it is given).
 */
function take(v: unknown, i: number, raw: Float64Array): number {
  if (typeof v === 'number' && v - v === 0) {
    raw[i] = v;
    return 0;
  }
  return imputeOrReject(v, i, raw);
}

/** An omitted value is imputed from the schema default; a required or non-finite one throws. */
function imputeOrReject(v: unknown, i: number, raw: Float64Array): number {
  const name = NAMES[i] as FeatureName;
  if (v !== undefined) {
    throw new DeriveInputError(name, 'finite', `${name} must be a finite number, got ${String(v)}`);
  }
  if (REQUIRED[i] === 1) throw new DeriveInputError(name, 'required', `${name} is required`);
  raw[i] = DEFAULTS[i] as number;
  return 1 << i;
}

/**
 * Every feature of a row into `raw`, in schema order (the first bad one is the one reported),
 * by named property loads as in `allStatsInto`; returns the imputed mask. Every feature of
 * FEATURES must be read here (the reference test compares each one's value).
 */
function featuresInto(row: FeatureInput, raw: Float64Array): number {
  return (
    take(row.restart_count_last_5m, F.restart_count_last_5m, raw) |
    take(row.cpu_usage_pct, F.cpu_usage_pct, raw) |
    take(row.memory_usage_bytes, F.memory_usage_bytes, raw) |
    take(row.ready_replica_ratio, F.ready_replica_ratio, raw) |
    take(row.unavailable_replicas, F.unavailable_replicas, raw) |
    take(row.network_receive_bytes_per_s, F.network_receive_bytes_per_s, raw) |
    take(row.http_5xx_error_rate, F.http_5xx_error_rate, raw) |
    take(row.http_p95_latency_seconds, F.http_p95_latency_seconds, raw) |
    take(row.http_requests_per_s, F.http_requests_per_s, raw) |
    take(row.memory_limit_ratio, F.memory_limit_ratio, raw) |
    take(row.memory_growth_ratio_per_min, F.memory_growth_ratio_per_min, raw) |
    take(row.cpu_throttle_ratio, F.cpu_throttle_ratio, raw) |
    take(row.replicas, F.replicas, raw) |
    take(row.http_caller_p95_latency_seconds, F.http_caller_p95_latency_seconds, raw)
  );
}

/**
 * The rows of a batch sent as columns (the columnar request): per feature in schema order, its
 * value per row in a Float64Array (NaN, or no column: the row omits it), and each row's SLO
 * (`null`: none). Scoring reads them in place (`deriveAt`): no object per row, and no boxed
 * number per value (a JSON array of numbers holds small integers and doubles alike: a load from
 * either kind of array gave a heap number per double).
 */
export interface RowColumns {
  readonly length: number;
  readonly features: readonly (Float64Array | undefined)[];
  readonly slo?: ArrayLike<SloInput | null | undefined>;
}

/**
 * Row r's features from `cols` into `raw`, as `featuresInto` reads a row object; returns the
 * imputed mask. The cell is read again on the cold path rather than handed over: written as
 * `c === undefined ? NaN : c[r]`, the compiler boxed every value (a heap number per cell).
 */
function featuresFromColumns(cols: RowColumns, r: number, raw: Float64Array): number {
  const { features } = cols;
  let mask = 0;
  for (let i = 0; i < N_FEATURES; i++) {
    const c = features[i];
    if (c === undefined) {
      mask |= imputeOrReject(undefined, i, raw);
      continue;
    }
    const v = c[r] as number;
    if (v - v === 0) raw[i] = v;
    else mask |= omittedOrRejected(c, r, i, raw);
  }
  return mask;
}

/** Cell r of column i, not finite: NaN is a row that omits it; ±Infinity (1e999) is rejected. */
function omittedOrRejected(c: Float64Array, r: number, i: number, raw: Float64Array): number {
  const v = c[r] as number;
  return imputeOrReject(v === v ? v : undefined, i, raw);
}

/**
 * Derives the network inputs of one row and of its reference. Omitted optional features are
 * imputed: from the deployment's baseline median when it has one (no news is normal), else from
 * the schema default. Throws DeriveInputError for a missing required feature or a non-finite value.
 * With `cols`, the baseline is row r of those columns instead of `row.baseline`.
 */
export function derive(row: FeatureInput, d: Derivation, cols?: BaselineColumns, r = 0): void {
  if (cols === undefined) allStatsInto(row.baseline, d.baselines, d.stats);
  else statsFromColumns(cols, r, d.stats);
  deriveInputs(d, featuresInto(row, d.raw));
}

/**
 * `derive` of row r of a batch sent as columns (`rows`), its baseline row r of `cols` (none
 * without them): the same numbers as `derive` of the row object the columns stand for.
 */
export function deriveAt(rows: RowColumns, r: number, d: Derivation, cols?: BaselineColumns): void {
  if (cols === undefined) allStatsInto(undefined, d.baselines, d.stats);
  else statsFromColumns(cols, r, d.stats);
  deriveInputs(d, featuresFromColumns(rows, r, d.raw));
}

/** The inputs and the reference from the row's raw values and stats in `d` (`mask`: imputed). */
function deriveInputs(d: Derivation, mask: number): void {
  const { stats: st, raw, refRaw } = d;
  // The reference: the normal where known, the healthy value where that is known, else no change.
  for (let i = 0; i < N_FEATURES; i++) {
    const h = HEALTHY_OR_NAN[i] as number;
    refRaw[i] = h === h ? h : (raw[i] as number);
  }
  for (let k = 0; k < N_STATS; k++) {
    const med = (st[k] as Stats).median;
    if (med !== med) continue;
    const i = STATS_FEATURE_INDEX[k] as number;
    refRaw[i] = med;
    // Omitted signals with a history are imputed at their normal.
    if (mask & (1 << i)) raw[i] = med;
  }
  d.imputedMask = mask;
  inputsInto(raw, st, d.x);
  historyInto(st, d.x);
  inputsInto(refRaw, st, d.ref);
  for (let h = 0; h < HISTORY_INPUTS.length; h++) d.ref[HISTORY_INPUTS[h] as number] = 0;
}

/** The imputed feature names of a derivation. */
export function imputedNames(mask: number): FeatureName[] {
  const out: FeatureName[] = [];
  for (let i = 0; i < N_FEATURES; i++) if (mask & (1 << i)) out.push(NAMES[i] as FeatureName);
  return out;
}
