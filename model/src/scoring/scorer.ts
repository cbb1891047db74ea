/**
 * Scores feature rows with a trained network, without TensorFlow.js: derive the inputs against the
 * deployment's own normal, standardise, check they are within what the model was trained on,
 * compute the risk and its exact integrated-gradient explanation, then OR in the SLO layer.
 *
 * The Predictor (which loads an artifact through tfjs) and training/evaluation (which build one
 * from fresh weights) share this class, so every path scores identically.
 */
import {
  BASELINE_FEATURES,
  FEATURES,
  type FeatureInput,
  type FeatureName,
  type Prediction,
  type RiskLayer,
} from '../schema.js';
import {
  DERIVED_INPUTS,
  Derivation,
  DeriveInputError,
  FEATURE_INDEX,
  INPUT_OWNER,
  N_FEATURES,
  N_INPUTS,
  derive,
  type BaselineColumns,
  type Stats,
} from '../features/derive.js';
import { MonotoneMlp, type MlpWeights } from '../network/monotoneMlp.js';
import {
  AT_CONTRIBUTION,
  AT_IMPUTED,
  AT_LAYER,
  AT_MODEL_RISK,
  AT_RANKING,
  AT_REFERENCE,
  AT_REFERENCE_RISK,
  AT_RISK,
  AT_VALUE,
  LAYER_MODEL,
  LAYER_OWN_NORMAL,
  LAYER_SLO,
  ROW_BYTES,
  ROW_DOUBLES,
  ScoredBatch,
} from './scoredBatch.js';
import { evaluateSlo } from '../slo/burnRate.js';
import {
  DEFAULT_OWN_NORMAL,
  evaluateOwnNormal,
  type OwnNormalRule,
  type OwnNormalVerdict,
} from '../ownNormal/ownNormal.js';
import type { InputMetadata, ModelMetadata } from '../artifact.js';

/** Options of `predict`. */
export interface PredictOptions {
  /**
   * How many contributions to return per row, largest |contribution| first (default: all); 0
   * skips the attribution altogether.
   */
  explain?: number;
  /**
   * The rows' baselines as columns (a columnar request), read in place of each row's `baseline`
   * object; row r of `rows` is row r of these columns.
   */
  baseline?: BaselineColumns;
}

/** A row given to `predict` lacks a required feature or holds a non-finite number. */
export class PredictInputError extends Error {
  override readonly name = 'PredictInputError';
  constructor(
    readonly row: number,
    readonly feature: FeatureName,
    message: string,
  ) {
    super(message);
  }
}

export interface ScorerSpec {
  version: string;
  threshold: number;
  inputs: readonly InputMetadata[];
  clip: number;
  calibration: { a: number; b: number };
  oodMargin: number;
  weights: MlpWeights;
  /** The own-normal layer's rule (default DEFAULT_OWN_NORMAL); false turns the layer off. */
  ownNormal?: OwnNormalRule | false;
}

/** The part of an artifact's metadata a scorer is built from (all a scoring thread receives). */
export type ScorerMetadata = Pick<
  ModelMetadata,
  'version' | 'threshold' | 'inputs' | 'clip' | 'calibration' | 'ood'
>;

/**
 * The scorer's spec from an artifact's metadata and weights: what the Predictor builds its scorer
 * from, and what a scoring thread receives to build the same one (without loading tfjs).
 */
export function scorerSpecOf(metadata: ScorerMetadata, weights: MlpWeights): ScorerSpec {
  return {
    version: metadata.version,
    threshold: metadata.threshold,
    inputs: metadata.inputs,
    clip: metadata.clip,
    calibration: metadata.calibration,
    oodMargin: metadata.ood.margin,
    weights,
  };
}

const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
const P95 = FEATURE_INDEX.http_p95_latency_seconds;
const ERR = FEATURE_INDEX.http_5xx_error_rate;
const STATS_P95 = BASELINE_FEATURES.indexOf('http_p95_latency_seconds');
const CALLER_P95 = FEATURE_INDEX.http_caller_p95_latency_seconds;
const STATS_CALLER_P95 = BASELINE_FEATURES.indexOf('http_caller_p95_latency_seconds');
const STATS_ERR = BASELINE_FEATURES.indexOf('http_5xx_error_rate');
const CPU = FEATURE_INDEX.cpu_usage_pct;
const STATS_CPU = BASELINE_FEATURES.indexOf('cpu_usage_pct');
const MEM_RATIO = FEATURE_INDEX.memory_limit_ratio;
const MEM_GROWTH = FEATURE_INDEX.memory_growth_ratio_per_min;
const STATS_MEM_RATIO = BASELINE_FEATURES.indexOf('memory_limit_ratio');
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The fields of a prediction that replay and evaluation read, without the explanation. */
export interface RiskOnly {
  risk: number;
  modelRisk: number;
  layer: RiskLayer;
  inconclusive: string | undefined;
}

const OWN_NORMAL_OFF: OwnNormalVerdict = Object.freeze({
  fired: false,
  signal: null,
  reason: 'own-normal layer off',
});

export class Scorer {
  readonly version: string;
  readonly threshold: number;
  readonly mlp: MonotoneMlp;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /**
   * The guard rail's bounds: an input below `oodBelow` (its range's low end less the margin) or
   * above `oodAbove` (the high end plus the margin; +∞ for a monotone input) is out of distribution.
   */
  private readonly oodBelow: Float64Array;
  private readonly oodAbove: Float64Array;
  private readonly monotone: Uint8Array;
  private readonly clip: number;
  private readonly a: number;
  private readonly b: number;
  private readonly margin: number;
  /** The own-normal layer's rule, or false (off). */
  ownNormal: OwnNormalRule | false;
  /** `{"version":…}` as JSON, written into every answer. */
  private readonly modelJson: string;
  private readonly d = new Derivation();
  private readonly z = new Float64Array(N_INPUTS);
  private readonly zr = new Float64Array(N_INPUTS);
  private readonly attr = new Float64Array(N_INPUTS);
  private readonly contrib = new Float64Array(N_FEATURES);
  private readonly magnitude = new Float64Array(N_FEATURES);

  constructor(spec: ScorerSpec) {
    if (
      spec.inputs.length !== N_INPUTS ||
      spec.inputs.some((m, i) => m.name !== DERIVED_INPUTS[i]?.name)
    ) {
      throw new RangeError('the artifact was trained on other inputs than this code derives');
    }
    if (!(spec.calibration.a > 0)) {
      throw new RangeError(
        `calibration slope a = ${spec.calibration.a} must be > 0 (monotone risk)`,
      );
    }
    this.version = spec.version;
    this.threshold = spec.threshold;
    this.mlp = new MonotoneMlp(spec.weights);
    if (this.mlp.inSize !== N_INPUTS) throw new RangeError('the network has the wrong input size');
    this.mean = Float64Array.from(spec.inputs, (m) => m.mean);
    this.std = Float64Array.from(spec.inputs, (m) => (m.std > 0 ? m.std : 1));
    this.lo = Float64Array.from(spec.inputs, (m) => m.lo);
    this.hi = Float64Array.from(spec.inputs, (m) => m.hi);
    this.monotone = Uint8Array.from(DERIVED_INPUTS, (m) => m.monotone);
    this.mlp.assertMonotone(this.monotone);
    this.clip = spec.clip;
    this.a = spec.calibration.a;
    this.b = spec.calibration.b;
    this.margin = spec.oodMargin;
    this.oodBelow = this.lo.map((lo, i) => lo - this.margin * ((this.hi[i] as number) - lo));
    this.oodAbove = this.hi.map((hi, i) =>
      this.monotone[i] === 0 ? hi + this.margin * (hi - (this.lo[i] as number)) : Infinity,
    );
    this.ownNormal = spec.ownNormal ?? DEFAULT_OWN_NORMAL;
    this.modelJson = `{"version":${JSON.stringify(this.version)}}`;
  }

  /** The own-normal layer's signal when it set the last `risk` call's risk. */
  private lastOwnSignal: FeatureName | undefined;

  /** The own-normal layer's verdict on the last prepared row. */
  private ownNormalVerdict(): OwnNormalVerdict {
    if (this.ownNormal === false) return OWN_NORMAL_OFF;
    const { raw, stats } = this.d;
    return evaluateOwnNormal(
      raw[P95] as number,
      stats[STATS_P95] as Stats,
      raw[ERR] as number,
      stats[STATS_ERR] as Stats,
      this.ownNormal,
      raw[CPU] as number,
      stats[STATS_CPU] as Stats,
      raw[MEM_RATIO] as number,
      raw[MEM_GROWTH] as number,
      stats[STATS_MEM_RATIO] as Stats,
      raw[CALLER_P95] as number,
      stats[STATS_CALLER_P95] as Stats,
    );
  }

  /** Standardises and clips derived inputs. */
  standardise(x: ArrayLike<number>, out: Float64Array): void {
    const c = this.clip;
    for (let i = 0; i < N_INPUTS; i++) {
      const v = ((x[i] as number) - (this.mean[i] as number)) / (this.std[i] as number);
      out[i] = v > c ? c : v < -c ? -c : v;
    }
  }

  /**
   * Why the model should not be trusted on these inputs, or undefined. An input beyond its training
   * range by more than `margin` × the range counts — except above the range of a monotone input,
   * where more harm can only mean at least as much risk, so the model is safe to extrapolate.
   */
  outOfDistribution(x: ArrayLike<number>): string | undefined {
    const { oodBelow, oodAbove } = this;
    for (let i = 0; i < N_INPUTS; i++) {
      const v = x[i] as number;
      if (v < (oodBelow[i] as number) || v > (oodAbove[i] as number)) return this.oodReason(i, v);
    }
    return undefined;
  }

  /** Why input i = v is out of distribution (written only for a row that is). */
  private oodReason(i: number, v: number): string {
    const spec = DERIVED_INPUTS[i]!;
    const raw = this.d.raw[INPUT_OWNER[i] as number] as number;
    return (
      `${spec.name} = ${fmt(v)} (from ${spec.feature} = ${fmt(raw)}) is outside the training range ` +
      `[${fmt(this.lo[i] as number)}, ${fmt(this.hi[i] as number)}] by more than ${this.margin} of its span: the model has not seen such inputs`
    );
  }

  private prepare(row: FeatureInput, index: number, cols?: BaselineColumns): void {
    try {
      derive(row, this.d, cols, index);
    } catch (err) {
      if (err instanceof DeriveInputError) {
        throw new PredictInputError(index, err.feature, `row ${index}: ${err.message}`);
      }
      throw err;
    }
    // Both points in one pass (what `standardise` does to each).
    const { mean, std, clip: c, z, zr } = this;
    const { x, ref } = this.d;
    for (let i = 0; i < N_INPUTS; i++) {
      const m = mean[i] as number;
      const sd = std[i] as number;
      const xi = x[i] as number;
      const ri = ref[i] as number;
      const v = (xi - m) / sd;
      const zi = v > c ? c : v < -c ? -c : v;
      z[i] = zi;
      // About half of a row's inputs sit at their reference: the same number, no second division.
      if (ri === xi && (ri !== 0 || 1 / ri === 1 / xi)) zr[i] = zi;
      else {
        const w = (ri - m) / sd;
        zr[i] = w > c ? c : w < -c ? -c : w;
      }
    }
  }

  /**
   * The model layer's risk of one row, with the per-input attributions (in `attr`) and its
   * reference risk (in `lastRefRisk`).
   */
  private modelRisk(): number {
    // The path walk computes σ(a·logit + b) at both ends: no second evaluation here.
    this.mlp.attribute(this.z, this.zr, this.a, this.b, this.attr);
    this.lastRefRisk = this.mlp.lastRefRisk;
    return this.mlp.lastRisk;
  }
  /** The reference risk of the last `modelRisk` call. */
  private lastRefRisk = NaN;

  private sumByFeature(): void {
    const { contrib, attr } = this;
    for (let i = 0; i < N_FEATURES; i++) contrib[i] = 0;
    for (let i = 0; i < N_INPUTS; i++) {
      const o = INPUT_OWNER[i] as number;
      contrib[o] = (contrib[o] as number) + (attr[i] as number);
    }
  }

  /**
   * Scores validated rows: each prediction carries both layers' verdicts and the explanation of the
   * model layer (every feature's contribution, largest |contribution| first).
   */
  predict(rows: readonly FeatureInput[], opts: PredictOptions = {}): Prediction[] {
    return this.score(rows, opts).predictions();
  }

  /**
   * Scores validated rows into flat arrays (no object per row): the same verdicts and explanations
   * as `predict`, which builds its objects from this; the backend writes it as JSON directly.
   */
  score(rows: readonly FeatureInput[], opts: PredictOptions = {}): ScoredBatch {
    const n = rows.length;
    const top = Math.max(0, Math.min(N_FEATURES, opts.explain ?? N_FEATURES));
    const out = new ScoredBatch(n, top, this.threshold, this.version, this.modelJson);
    const { d, contrib, magnitude, a, b, mlp } = this;
    const { numbers, bytes } = out;
    const cols = opts.baseline;
    for (let r = 0; r < n; r++) {
      const row = rows[r] as FeatureInput;
      this.prepare(row, r, cols);
      const at = r * ROW_DOUBLES;
      const rank = r * ROW_BYTES + AT_RANKING;
      let risk: number;
      let refRisk: number;
      if (top === 0) {
        // No explanation wanted: the two forward passes, no attribution.
        risk = sigmoid(a * mlp.logitPair(this.z, this.zr) + b);
        refRisk = sigmoid(a * mlp.lastRefLogit + b);
      } else {
        risk = this.modelRisk();
        refRisk = this.lastRefRisk;
        this.sumByFeature();
        // The `top` feature indices by descending |contribution|, ties in schema order: an
        // insertion sort that keeps only the first `top` places (all of them by default).
        let kept = 0;
        // A NaN ranks where it stands and nothing passes it, as in the full sort.
        let closed = false;
        for (let i = 0; i < N_FEATURES; i++) {
          const c = contrib[i] as number;
          const m = c < 0 ? -c : c;
          numbers[at + AT_CONTRIBUTION + i] = c;
          if (closed || (kept === top && !((magnitude[top - 1] as number) < m))) {
            if (m !== m) closed = true;
            continue;
          }
          let j = kept < top ? kept++ : top - 1;
          while (j > 0 && (magnitude[j - 1] as number) < m) {
            magnitude[j] = magnitude[j - 1] as number;
            bytes[rank + j] = bytes[rank + j - 1] as number;
            j--;
          }
          magnitude[j] = m;
          bytes[rank + j] = i;
        }
      }
      const { raw, refRaw } = d;
      for (let i = 0; i < N_FEATURES; i++) {
        numbers[at + AT_VALUE + i] = raw[i] as number;
        numbers[at + AT_REFERENCE + i] = refRaw[i] as number;
      }
      numbers[at + AT_IMPUTED] = d.imputedMask;
      const slo = evaluateSlo(row.slo);
      const own = this.ownNormalVerdict();
      const layer = slo.fired ? LAYER_SLO : own.fired ? LAYER_OWN_NORMAL : LAYER_MODEL;
      out.abstained[r] = this.outOfDistribution(d.x) ?? null;
      out.slo[r] = slo;
      out.ownNormal[r] = own;
      bytes[r * ROW_BYTES + AT_LAYER] = layer;
      numbers[at + AT_MODEL_RISK] = risk;
      numbers[at + AT_REFERENCE_RISK] = refRisk;
      numbers[at + AT_RISK] = layer === LAYER_MODEL ? risk : 1;
    }
    return out;
  }

  /**
   * The risk of one row without the explanation (replay, evaluation): the same derivation,
   * network, guard rail and SLO layer as `predict`. `topFeatureOfLast` explains it on demand.
   */
  risk(row: FeatureInput, index = 0): RiskOnly {
    this.prepare(row, index);
    const risk = sigmoid(this.a * this.mlp.logit(this.z) + this.b);
    const ood = this.outOfDistribution(this.d.x);
    const slo = evaluateSlo(row.slo);
    const own = this.ownNormalVerdict();
    const layer = layerOf(slo.fired, own.fired);
    this.lastOwnSignal = layer === 'own_normal' ? (own.signal ?? undefined) : undefined;
    return {
      risk: layer === 'model' ? risk : 1,
      modelRisk: risk,
      layer,
      inconclusive: ood !== undefined && layer === 'model' ? ood : undefined,
    };
  }

  /**
   * What raised the last `risk` call's risk most: the signal the own-normal layer fired on when
   * that layer set it (a callers' latency is no model input, so the network cannot name it),
   * else the feature with the largest positive contribution to the model layer, or undefined.
   */
  topFeatureOfLast(): FeatureName | undefined {
    if (this.lastOwnSignal !== undefined) return this.lastOwnSignal;
    this.modelRisk();
    this.sumByFeature();
    let top = -1;
    let best = 0;
    for (let i = 0; i < N_FEATURES; i++) {
      const c = this.contrib[i] as number;
      if (c > best) {
        best = c;
        top = i;
      }
    }
    return top >= 0 ? NAMES[top] : undefined;
  }

  /** The model layer's calibrated risk for standardised inputs (training, tests). */
  riskOfStandardised(z: ArrayLike<number>): number {
    return sigmoid(this.a * this.mlp.logit(z) + this.b);
  }

  /** The derived (unstandardised) inputs of a row, for tests and evaluation. */
  inputsOf(row: FeatureInput): Float64Array {
    this.prepare(row, 0);
    return Float64Array.from(this.d.x);
  }
}

/** The layer that set the risk: a deterministic layer that fired, else the model. */
function layerOf(slo: boolean, ownNormal: boolean): RiskLayer {
  return slo ? 'slo' : ownNormal ? 'own_normal' : 'model';
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3)
    ? x.toExponential(2)
    : String(Math.round(x * 1000) / 1000);
}
