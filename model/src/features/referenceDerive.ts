/**
 * The derivation written the plain way — one object per row, features looked up by name, each
 * network input a named formula — so that tests can hold the optimised `derive` (scratch buffers
 * reused across rows, positional indices, fast paths) to it, bit for bit. Not used to score
 * anything.
 */
import {
  BASELINE_FEATURES,
  FEATURES,
  type BaselineFeatureName,
  type FeatureBaseline,
  type FeatureInput,
  type FeatureName,
} from '../schema.js';
import {
  DERIVED_INPUTS,
  DeriveInputError,
  Q90_SIGMA,
  REL_FLOOR,
  SPREAD_FLOOR,
  type DerivedInputName,
  type Stats,
} from './derive.js';

export interface ReferenceDerivation {
  /** Values used and the reference's, in schema order. */
  raw: number[];
  refRaw: number[];
  /** Network inputs at the values and at the reference, in `DERIVED_INPUTS` order. */
  x: number[];
  ref: number[];
  imputed: FeatureName[];
  stats: Record<BaselineFeatureName, Stats>;
}

const plainSquash = (z: number): number => (z < 0 ? -Math.log1p(-z / 2) : Math.log1p(z / 2));
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function plainStats(b: FeatureBaseline | undefined, f: BaselineFeatureName): Stats {
  // A null entry throws here as it does in `derive`.
  const read = (k: keyof FeatureBaseline): number => {
    if (b === undefined) return NaN;
    const x = b[k];
    return finite(x) ? x : NaN;
  };
  const median = read('p50');
  const floor = Math.max(REL_FLOOR * Math.abs(median), SPREAD_FLOOR[f]);
  const spread = (gap: number): number => Math.max(Number.isNaN(gap) ? 0 : gap / Q90_SIGMA, floor);
  return {
    median,
    down: Number.isNaN(median) ? NaN : spread(median - read('p10')),
    up: Number.isNaN(median) ? NaN : spread(read('p90') - median),
    week: read('last_week'),
    recent: read('recent'),
    slope: read('slope'),
    peak: read('peak'),
  };
}

/** z against the trailing median or last week's; harmful-upward signals take the smaller. */
function plainZ(v: number, s: Stats, spread: number, harmfulUp: boolean): number {
  if (Number.isNaN(spread) || spread <= 0) return 0;
  const z = (v - s.median) / spread;
  if (Number.isNaN(s.week)) return z;
  const zw = (v - s.week) / spread;
  if (harmfulUp) return zw < z ? zw : z;
  return Math.abs(zw) < Math.abs(z) ? zw : z;
}

const plainTrend = (s: Stats): number =>
  s.up > 0 && !Number.isNaN(s.slope) ? (5 * s.slope) / s.up : 0;

/** Every network input of the values `v`, by name. */
function plainInputs(
  v: Record<FeatureName, number>,
  s: Record<BaselineFeatureName, Stats>,
): Record<DerivedInputName, number> {
  const up = (f: BaselineFeatureName, value = v[f]): number =>
    plainSquash(plainZ(value, s[f], s[f].up, true));
  const twoSided = (f: BaselineFeatureName): number =>
    plainSquash(plainZ(v[f], s[f], v[f] >= s[f].median ? s[f].up : s[f].down, false));
  const pods = Math.max(1, v.replicas);
  const lat = s.http_p95_latency_seconds;
  const cpu = s.cpu_usage_pct;
  return {
    err_level: Math.log1p(v.http_5xx_error_rate / 0.005),
    err_z: up('http_5xx_error_rate'),
    err_trend: plainSquash(plainTrend(s.http_5xx_error_rate)),
    lat_z: up('http_p95_latency_seconds'),
    lat_ratio: Number.isNaN(lat.median)
      ? 0
      : Math.log((v.http_p95_latency_seconds + 0.005) / (Math.max(lat.median, 0) + 0.005)),
    lat_recent: Number.isNaN(lat.recent) ? 0 : up('http_p95_latency_seconds', lat.recent),
    lat_trend: plainSquash(plainTrend(lat)),
    restarts_per_pod: Math.log1p(v.restart_count_last_5m / pods),
    not_ready: 1 - Math.min(1, Math.max(0, v.ready_replica_ratio)),
    unavailable_share: Math.min(1, v.unavailable_replicas / pods),
    mem_exhaustion: Math.max(
      -1,
      Math.min(5, v.memory_growth_ratio_per_min / Math.max(1 - v.memory_limit_ratio, 0.05)),
    ),
    mem_ratio_z: up('memory_limit_ratio'),
    mem_z: up('memory_usage_bytes'),
    cpu_z: up('cpu_usage_pct'),
    cpu_trend: plainSquash(plainTrend(cpu)),
    cpu_rise: Number.isNaN(cpu.median)
      ? 0
      : Math.max(-2, Math.min(2, (v.cpu_usage_pct - cpu.median) / 100)),
    throttle_z: up('cpu_throttle_ratio'),
    rps_z: twoSided('http_requests_per_s'),
    rx_z: twoSided('network_receive_bytes_per_s'),
  };
}

/** Inputs about the history rather than the current value: zero at the reference. */
const HISTORY: readonly DerivedInputName[] = ['err_trend', 'lat_recent', 'lat_trend', 'cpu_trend'];
/** Healthy values known without history: the reference's start where there is no baseline. */
const HEALTHY: Partial<Record<FeatureName, number>> = {
  restart_count_last_5m: 0,
  ready_replica_ratio: 1,
  unavailable_replicas: 0,
  http_5xx_error_rate: 0,
  memory_growth_ratio_per_min: 0,
  cpu_throttle_ratio: 0,
};

/** Derives one row the plain way; throws DeriveInputError as `derive` does. */
export function referenceDerive(row: FeatureInput): ReferenceDerivation {
  const sent = row as unknown as Record<string, unknown>;
  const stats = Object.fromEntries(
    BASELINE_FEATURES.map((f) => [
      f,
      plainStats(row.baseline === undefined ? undefined : row.baseline[f], f),
    ]),
  ) as Record<BaselineFeatureName, Stats>;
  const value = {} as Record<FeatureName, number>;
  const imputed: FeatureName[] = [];
  for (const f of FEATURES) {
    const v = sent[f.name];
    if (v === undefined) {
      if (f.required) throw new DeriveInputError(f.name, 'required', `${f.name} is required`);
      imputed.push(f.name);
      const normal = (stats as Partial<Record<FeatureName, Stats>>)[f.name]?.median;
      value[f.name] = normal !== undefined && !Number.isNaN(normal) ? normal : f.default;
    } else if (!finite(v)) {
      throw new DeriveInputError(
        f.name,
        'finite',
        `${f.name} must be a finite number, got ${String(v)}`,
      );
    } else value[f.name] = v;
  }
  const reference = { ...value, ...HEALTHY };
  for (const f of BASELINE_FEATURES) {
    if (!Number.isNaN(stats[f].median)) reference[f] = stats[f].median;
  }
  const x = plainInputs(value, stats);
  const ref = plainInputs(reference, stats);
  for (const name of HISTORY) ref[name] = 0;
  return {
    raw: FEATURES.map((f) => value[f.name]),
    refRaw: FEATURES.map((f) => reference[f.name]),
    x: DERIVED_INPUTS.map((d) => x[d.name]),
    ref: DERIVED_INPUTS.map((d) => ref[d.name]),
    imputed,
    stats,
  };
}
