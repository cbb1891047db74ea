import { FEATURES, FEATURE_NAMES, type FeatureName, type FeatureVector } from './schema.js';

/**
 * How a raw feature value becomes a model input: a fixed transform (so heavy-tailed counts,
 * bytes and rates become roughly symmetric), then a z-score with statistics fitted on the training
 * data, then a clip so a wild but valid value cannot push the network far outside what it saw.
 *
 * The transforms are stored in the artifact's metadata so that the compiled fast path, the tfjs
 * reference path and training all apply exactly the same function.
 */
export type TransformKind = 'identity' | 'log1p' | 'signed_log1p';

export interface FeatureTransform {
  feature: FeatureName;
  kind: TransformKind;
  /** Values are divided by `scale` before the transform: the point where log1p bends. */
  scale: number;
  mean: number;
  std: number;
}

export interface Normalisation {
  /** z-scores are clipped to [-clip, clip]. */
  clip: number;
  /** One entry per feature, in model input order. */
  transforms: FeatureTransform[];
}

/** The fixed part of each feature's transform (mean and std are fitted). */
export const TRANSFORM_KINDS: Record<FeatureName, { kind: TransformKind; scale: number }> = {
  restart_count_last_5m: { kind: 'log1p', scale: 1 },
  cpu_usage_pct: { kind: 'identity', scale: 1 },
  memory_usage_bytes: { kind: 'log1p', scale: 1 },
  ready_replica_ratio: { kind: 'identity', scale: 1 },
  unavailable_replicas: { kind: 'log1p', scale: 1 },
  network_receive_bytes_per_s: { kind: 'log1p', scale: 1 },
  http_5xx_error_rate: { kind: 'log1p', scale: 0.01 },
  http_p95_latency_seconds: { kind: 'log1p', scale: 0.05 },
  http_requests_per_s: { kind: 'log1p', scale: 1 },
  memory_limit_ratio: { kind: 'identity', scale: 1 },
  memory_growth_ratio_per_min: { kind: 'signed_log1p', scale: 0.005 },
  cpu_throttle_ratio: { kind: 'identity', scale: 1 },
};

export const DEFAULT_CLIP = 8;

/** The transform without the z-score. */
export function transformValue(kind: TransformKind, scale: number, x: number): number {
  const v = x / scale;
  switch (kind) {
    case 'identity':
      return v;
    case 'log1p':
      return Math.log1p(Math.max(v, 0));
    case 'signed_log1p':
      return Math.sign(v) * Math.log1p(Math.abs(v));
  }
}

/** Fits mean and std of each transformed feature over `rows` (each a vector in input order). */
export function fitNormalisation(
  rows: readonly ArrayLike<number>[],
  clip = DEFAULT_CLIP,
): Normalisation {
  if (rows.length === 0) throw new RangeError('cannot fit a normalisation on zero rows');
  const transforms = FEATURE_NAMES.map((feature, i) => {
    const { kind, scale } = TRANSFORM_KINDS[feature];
    let sum = 0;
    let sumSq = 0;
    for (const row of rows) {
      const t = transformValue(kind, scale, row[i] as number);
      sum += t;
      sumSq += t * t;
    }
    const mean = sum / rows.length;
    const variance = Math.max(sumSq / rows.length - mean * mean, 0);
    // A constant feature (e.g. a user CSV without latency) gets std 1 so it maps to 0, not NaN.
    const std = Math.sqrt(variance) > 1e-9 ? Math.sqrt(variance) : 1;
    return { feature, kind, scale, mean, std };
  });
  return { clip, transforms };
}

/** Writes the model input for `values` (raw, input order) into `out` starting at `offset`. */
export function normaliseInto(
  norm: Normalisation,
  values: ArrayLike<number>,
  out: Float32Array | Float64Array,
  offset = 0,
): void {
  const { clip, transforms } = norm;
  for (let i = 0; i < transforms.length; i++) {
    const t = transforms[i] as FeatureTransform;
    const z = (transformValue(t.kind, t.scale, values[i] as number) - t.mean) / t.std;
    out[offset + i] = z > clip ? clip : z < -clip ? -clip : z;
  }
}

/** A complete vector in input order from a record. */
export function vectorOf(v: FeatureVector): number[] {
  return FEATURE_NAMES.map((n) => v[n]);
}

/** The schema defaults in input order: the healthy baseline used for imputation and explanations. */
export function defaultVector(): number[] {
  return FEATURES.map((f) => f.default);
}
