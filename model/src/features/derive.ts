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
  type BaselineFeatureName,
  type FeatureBaseline,
  type FeatureInput,
  type FeatureName,
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
};
export const REL_FLOOR = 0.05;
/** The 10th and 90th percentiles of a normal distribution are 1.2816 σ from its median. */
export const Q90_SIGMA = 1.2816;
/** Latency ratios are taken on p95 + this, so near-zero latencies do not explode. */
const LAT_EPS = 0.005;

/** sign(z)·log1p(|z|/2): keeps the order of z, compresses its tails (z = 900 → 6.1). */
export function squash(z: number): number {
  return z < 0 ? -Math.log1p(-z / 2) : Math.log1p(z / 2);
}

const F = FEATURE_INDEX;
const DEFAULTS = Float64Array.from(FEATURES.map((f) => f.default));
const NAMES = FEATURES.map((f) => f.name);
const REQUIRED = FEATURES.map((f) => f.required);
/** Features whose healthy value is known without history: the explanation starts from it. */
const HEALTHY: readonly (readonly [number, number])[] = (
  [
    ['restart_count_last_5m', 0],
    ['ready_replica_ratio', 1],
    ['unavailable_replicas', 0],
    ['http_5xx_error_rate', 0],
    ['memory_growth_ratio_per_min', 0],
    ['cpu_throttle_ratio', 0],
  ] as const
).map(([name, v]) => [FEATURE_INDEX[name], v] as const);

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
}
/** Statistics of no baseline (every field NaN). */
export const newStats = (): Stats => ({
  median: NaN,
  down: NaN,
  up: NaN,
  week: NaN,
  recent: NaN,
  slope: NaN,
});

const num = (x: unknown): number => (typeof x === 'number' && x - x === 0 ? x : NaN);

/** Fills `out` with the statistics of one signal's baseline (all NaN without one). */
function statsInto(b: FeatureBaseline | undefined, feature: BaselineFeatureName, out: Stats): void {
  if (b === undefined) {
    out.median = out.down = out.up = out.week = out.recent = out.slope = NaN;
    return;
  }
  const median = num(b.p50);
  let down = NaN;
  let up = NaN;
  if (median === median) {
    const floor = Math.max(REL_FLOOR * Math.abs(median), SPREAD_FLOOR[feature]);
    const lo = num(b.p10);
    const hi = num(b.p90);
    down = Math.max(lo === lo ? (median - lo) / Q90_SIGMA : 0, floor);
    up = Math.max(hi === hi ? (hi - median) / Q90_SIGMA : 0, floor);
  }
  out.median = median;
  out.down = down;
  out.up = up;
  out.week = num(b.last_week);
  out.recent = num(b.recent);
  out.slope = num(b.slope);
}

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
  /** Scratch: the statistics of each baseline signal, in `STATS_ORDER`. */
  readonly stats: Stats[] = Array.from({ length: 8 }, newStats);
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

/** Writes the network inputs for raw values `v` (schema order) into `out`. */
function inputsInto(v: Float64Array, st: readonly Stats[], out: Float64Array): void {
  const err = v[F.http_5xx_error_rate] as number;
  const p95 = v[F.http_p95_latency_seconds] as number;
  const replicas = Math.max(1, v[F.replicas] as number);
  const sErr = st[0] as Stats;
  const sLat = st[1] as Stats;
  const sRps = st[2] as Stats;
  const sCpu = st[3] as Stats;
  const sMem = st[4] as Stats;
  const sRatio = st[5] as Stats;
  const sRx = st[6] as Stats;
  const sThr = st[7] as Stats;
  out[0] = Math.log1p(err / 0.005);
  out[1] = squash(zOf(err, sErr, sErr.up, true));
  out[2] = squash(trendOf(sErr));
  out[3] = squash(zOf(p95, sLat, sLat.up, true));
  out[4] =
    sLat.median === sLat.median
      ? Math.log((p95 + LAT_EPS) / (Math.max(sLat.median, 0) + LAT_EPS))
      : 0;
  out[5] = sLat.recent === sLat.recent ? squash(zOf(sLat.recent, sLat, sLat.up, true)) : 0;
  out[6] = squash(trendOf(sLat));
  out[7] = Math.log1p((v[F.restart_count_last_5m] as number) / replicas);
  out[8] = 1 - Math.min(1, Math.max(0, v[F.ready_replica_ratio] as number));
  out[9] = Math.min(1, (v[F.unavailable_replicas] as number) / replicas);
  const ratio = v[F.memory_limit_ratio] as number;
  const headroom = Math.max(1 - ratio, 0.05);
  const growth = v[F.memory_growth_ratio_per_min] as number;
  out[10] = Math.max(-1, Math.min(5, growth / headroom));
  out[11] = squash(zOf(ratio, sRatio, sRatio.up, true));
  out[12] = squash(zOf(v[F.memory_usage_bytes] as number, sMem, sMem.up, true));
  const cpu = v[F.cpu_usage_pct] as number;
  out[13] = squash(zOf(cpu, sCpu, sCpu.up, true));
  out[14] = squash(trendOf(sCpu));
  out[15] = sCpu.median === sCpu.median ? Math.max(-2, Math.min(2, (cpu - sCpu.median) / 100)) : 0;
  // Throttling only against its own normal: a busy service is throttled now and then.
  out[16] = squash(zOf(v[F.cpu_throttle_ratio] as number, sThr, sThr.up, true));
  out[17] = squash(zTwoSided(v[F.http_requests_per_s] as number, sRps));
  out[18] = squash(zTwoSided(v[F.network_receive_bytes_per_s] as number, sRx));
}

/** Inputs that describe the history, not the current value: the reference keeps them at zero. */
const HISTORY_INPUTS = [2, 5, 6, 14];

/**
 * Baseline features in the order `inputsInto` reads their stats (by position: reordering
 * BASELINE_FEATURES changes the network's inputs, which the artifact check would catch).
 */
const STATS_ORDER: readonly BaselineFeatureName[] = BASELINE_FEATURES;
const STATS_FEATURE_INDEX = STATS_ORDER.map((f) => F[f]);

/**
 * Derives the network inputs of one row and of its reference. Omitted optional features are
 * imputed: from the deployment's baseline median when it has one (no news is normal), else from
 * the schema default. Throws DeriveInputError for a missing required feature or a non-finite value.
 */
export function derive(row: FeatureInput, d: Derivation): void {
  const r = row as unknown as Record<string, unknown>;
  const ctx = row.baseline;
  const st = d.stats;
  for (let k = 0; k < STATS_ORDER.length; k++) {
    const f = STATS_ORDER[k] as BaselineFeatureName;
    statsInto(ctx === undefined ? undefined : ctx[f], f, st[k] as Stats);
  }
  let mask = 0;
  for (let i = 0; i < N_FEATURES; i++) {
    const name = NAMES[i] as FeatureName;
    const v = r[name];
    if (v === undefined) {
      if (REQUIRED[i]) throw new DeriveInputError(name, 'required', `${name} is required`);
      mask |= 1 << i;
      d.raw[i] = DEFAULTS[i] as number;
    } else if (typeof v !== 'number' || v - v !== 0) {
      throw new DeriveInputError(
        name,
        'finite',
        `${name} must be a finite number, got ${String(v)}`,
      );
    } else d.raw[i] = v;
  }
  // Omitted signals with a history are imputed at their normal.
  for (let k = 0; k < STATS_ORDER.length; k++) {
    const i = STATS_FEATURE_INDEX[k] as number;
    const med = (st[k] as Stats).median;
    if (mask & (1 << i) && med === med) d.raw[i] = med;
  }
  d.imputedMask = mask;
  // The reference: the normal where known, the healthy value where that is known, else no change.
  d.refRaw.set(d.raw);
  for (let h = 0; h < HEALTHY.length; h++) {
    const pair = HEALTHY[h] as readonly [number, number];
    d.refRaw[pair[0]] = pair[1];
  }
  for (let k = 0; k < STATS_ORDER.length; k++) {
    const med = (st[k] as Stats).median;
    if (med === med) d.refRaw[STATS_FEATURE_INDEX[k] as number] = med;
  }
  inputsInto(d.raw, st, d.x);
  inputsInto(d.refRaw, st, d.ref);
  // Trends and the recent level describe the history, not the current value: what changed
  // includes how they moved away from the normal, so the reference has none.
  for (let h = 0; h < HISTORY_INPUTS.length; h++) d.ref[HISTORY_INPUTS[h] as number] = 0;
}

/** The imputed feature names of a derivation. */
export function imputedNames(mask: number): FeatureName[] {
  const out: FeatureName[] = [];
  for (let i = 0; i < N_FEATURES; i++) if (mask & (1 << i)) out.push(NAMES[i] as FeatureName);
  return out;
}
