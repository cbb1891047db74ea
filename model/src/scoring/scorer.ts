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
  type SloInput,
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
  deriveAt,
  type BaselineColumns,
  type RowColumns,
  type Stats,
} from '../features/derive.js';
import { MonotoneMlp, type MlpWeights } from '../network/monotoneMlp.js';
import {
  AT_CONTRIBUTION,
  AT_IMPUTED,
  AT_LAYER,
  AT_MODEL_RISK,
  AT_OWN_CODE,
  AT_OWN_NORMAL,
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
  type BatchStorage,
} from './scoredBatch.js';
import { evaluateSlo } from '../slo/burnRate.js';
import {
  DEFAULT_OWN_NORMAL,
  OWN_AT,
  OWN_NUMBERS,
  OWN_VALUES,
  OWN_OFF,
  judgeOwnNormal,
  ownNormalFired,
  ownNormalSignal,
  type OwnNormalRule,
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
  /**
   * Score into the scorer's own arrays, reused by its next `score` with `reuse` (grown to the
   * largest batch), instead of new ones: for a caller done with each batch before it scores the
   * next (the backend's answer written on the main thread). A 10,000-row batch's 4.6 MB of new
   * arrays were zeroed, faulted in page by page and collected again on every request.
   */
  reuse?: boolean;
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
  /**
   * Rows per block of a batch (a multiple of 4; default 256), or 0 to score every batch row by
   * row (tests compare the two).
   */
  blockRows?: number;
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

/** Batches from this many rows are scored a block at a time (`Scorer.scoreBlock`). */
const BLOCK_MIN_ROWS = 16;
/**
 * Rows per block (a multiple of 4, see `MonotoneMlp.preactivationsOfBlock`): the block's arrays,
 * 2·(19 + 32)·256 doubles (200 KB), stay in the core's caches.
 */
const BLOCK_ROWS = 256;

/**
 * A block's standardised inputs, input-major with rows innermost (as the pre-activations of a
 * block read them), and again row by row with the pre-activations (as each row's path walk reads
 * them, in place).
 */
interface Block {
  /** Row k's input i at `zs[i * stride + k]`; distinct reference u's at `zrs[i * stride + u]`. */
  zs: Float64Array;
  zrs: Float64Array;
  /** Row k's input i at `zRows[k * N_INPUTS + i]`; reference u's at `zrRows[u * N_INPUTS + i]`. */
  zRows: Float64Array;
  zrRows: Float64Array;
  /** The distinct reference of row k. */
  refOf: Int32Array;
  /** Unit j's pre-activation of row k at `ps[k * hidden + j]`, of reference u at `qs[u * hidden + j]`. */
  ps: Float64Array;
  qs: Float64Array;
}

/** The same double: equal and, for zeros, of the same sign (NaN is never the same). */
const sameNumber = (x: number, y: number): boolean => x === y && (x !== 0 || 1 / x === 1 / y);

/** The fields of a prediction that replay and evaluation read, without the explanation. */
export interface RiskOnly {
  risk: number;
  modelRisk: number;
  layer: RiskLayer;
  inconclusive: string | undefined;
}

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
  /**
   * The standardised inputs' bound, in a typed array: read from a plain field, it is a boxed
   * number, and the clipped value (`v > c ? c : v`) was boxed with it — a heap number per input
   * and row. An element of a Float64Array is always read as a double.
   */
  private readonly clip: Float64Array;
  private readonly a: number;
  private readonly b: number;
  private readonly margin: number;
  /** The own-normal layer's rule, or false (off). */
  ownNormal: OwnNormalRule | false;
  /** `{"version":…}` as JSON, written into every answer. */
  private readonly modelJson: string;
  /** Rows per block of a batch (`ScorerSpec.blockRows`), 0 for row by row. */
  readonly blockRows: number;
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
    this.clip = Float64Array.of(spec.clip);
    this.a = spec.calibration.a;
    this.b = spec.calibration.b;
    this.margin = spec.oodMargin;
    this.oodBelow = this.lo.map((lo, i) => lo - this.margin * ((this.hi[i] as number) - lo));
    this.oodAbove = this.hi.map((hi, i) =>
      this.monotone[i] === 0 ? hi + this.margin * (hi - (this.lo[i] as number)) : Infinity,
    );
    this.ownNormal = spec.ownNormal ?? DEFAULT_OWN_NORMAL;
    this.blockRows = spec.blockRows ?? BLOCK_ROWS;
    if (!(Number.isInteger(this.blockRows) && this.blockRows >= 0 && this.blockRows % 4 === 0)) {
      throw new RangeError(`blockRows = ${this.blockRows} must be 0 or a positive multiple of 4`);
    }
    this.modelJson = `{"version":${JSON.stringify(this.version)}}`;
  }

  /** The own-normal layer's signal when it set the last `risk` call's risk. */
  private lastOwnSignal: FeatureName | undefined;

  /**
   * The own-normal layer's verdict on the last prepared row, as a code, the numbers its reason
   * names in `nums` from `at` (`judgeOwnNormal`).
   */
  private ownNormalCode(nums: Float64Array, at: number): number {
    if (this.ownNormal === false) return OWN_OFF;
    const { raw, stats } = this.d;
    const v = this.ownValues;
    v[OWN_AT.p95] = raw[P95] as number;
    v[OWN_AT.err] = raw[ERR] as number;
    v[OWN_AT.cpu] = raw[CPU] as number;
    v[OWN_AT.memoryRatio] = raw[MEM_RATIO] as number;
    v[OWN_AT.memoryGrowth] = raw[MEM_GROWTH] as number;
    v[OWN_AT.callerP95] = raw[CALLER_P95] as number;
    return judgeOwnNormal(
      v,
      stats[STATS_P95] as Stats,
      stats[STATS_ERR] as Stats,
      this.ownNormal,
      stats[STATS_CPU] as Stats,
      stats[STATS_MEM_RATIO] as Stats,
      stats[STATS_CALLER_P95] as Stats,
      nums,
      at,
    );
  }
  /** The values `judgeOwnNormal` judges, handed over in a typed array (not boxed). */
  private readonly ownValues = new Float64Array(OWN_VALUES);
  /** `ownNormalCode`'s numbers where no batch keeps them (`risk`). */
  private readonly ownNumbers = new Float64Array(OWN_NUMBERS);

  /** Standardises and clips derived inputs. */
  standardise(x: ArrayLike<number>, out: Float64Array): void {
    const c = this.clip[0] as number;
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

  /**
   * Derives row `index`: `row`, or without it row `index` of `columns` (a batch sent as columns,
   * read in place).
   */
  private prepare(
    row: FeatureInput | undefined,
    index: number,
    cols?: BaselineColumns,
    columns?: RowColumns,
  ): void {
    try {
      if (row === undefined) deriveAt(columns as RowColumns, index, this.d, cols);
      else derive(row, this.d, cols, index);
    } catch (err) {
      if (err instanceof DeriveInputError) {
        throw new PredictInputError(index, err.feature, `row ${index}: ${err.message}`);
      }
      throw err;
    }
    // Both points in one pass (what `standardise` does to each).
    const { mean, std, z, zr } = this;
    const c = this.clip[0] as number;
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
   * `rows` may be row objects or the same rows as columns (`RowColumns`, a columnar request read
   * in place): both give the same numbers bit for bit (tests compare them).
   *
   * Batches of `BLOCK_MIN_ROWS` rows or more are scored a block of rows at a time (`scoreBlock`):
   * every row's inputs derived first, then the network's pre-activations for the whole block, then
   * each row's path walk. Smaller ones (a single `/predict`) row by row, without the block's
   * set-up. Both give the same numbers bit for bit (tests compare them).
   */
  score(rows: readonly FeatureInput[] | RowColumns, opts: PredictOptions = {}): ScoredBatch {
    const n = rows.length;
    // One of the two: the row objects, or the columns they stand for.
    const list = Array.isArray(rows) ? (rows as readonly FeatureInput[]) : undefined;
    const columns = list === undefined ? (rows as RowColumns) : undefined;
    const top = Math.max(0, Math.min(N_FEATURES, opts.explain ?? N_FEATURES));
    const out = new ScoredBatch(
      n,
      top,
      this.threshold,
      this.version,
      this.modelJson,
      opts.reuse === true ? this.storageFor(n) : undefined,
    );
    const cols = opts.baseline;
    if (n >= BLOCK_MIN_ROWS && this.blockRows > 0) {
      for (let start = 0; start < n; start += this.blockRows) {
        const end = Math.min(n, start + this.blockRows);
        this.scoreBlock(list, columns, start, end, cols, top, out);
      }
      return out;
    }
    const { a, b, mlp, z, zr } = this;
    for (let r = 0; r < n; r++) {
      const row = list?.[r];
      this.prepare(row, r, cols, columns);
      this.verdictsInto(sloOf(row, columns, r), r, out);
      if (top === 0) {
        // No explanation wanted: the two forward passes, no attribution.
        const risk = sigmoid(a * mlp.logitPair(z, zr) + b);
        this.risksInto(out, r, risk, sigmoid(a * mlp.lastRefLogit + b));
      } else {
        mlp.attribute(z, zr, a, b, this.attr);
        this.explanationInto(out, r, top);
        this.risksInto(out, r, mlp.lastRisk, mlp.lastRefRisk);
      }
    }
    return out;
  }

  /**
   * Rows start … end−1 a block at a time. Each row is derived and judged by the deterministic
   * layers as `score` does, its standardised inputs kept in the block's columns (input-major, rows
   * innermost); a row whose reference inputs are the same numbers as the last distinct
   * reference's (every row without a baseline: its reference is all zeros) shares that one's
   * column. Then the hidden pre-activations of every row and every distinct reference in two
   * passes over the weights (`preactivationsOfBlock`), then each row's exact path walk from them.
   * No object per row: the block's arrays are the scorer's, reused.
   */
  private scoreBlock(
    list: readonly FeatureInput[] | undefined,
    columns: RowColumns | undefined,
    start: number,
    end: number,
    cols: BaselineColumns | undefined,
    top: number,
    out: ScoredBatch,
  ): void {
    const { a, b, mlp, z, zr, blockRows: stride } = this;
    const { zs, zrs, zRows, zrRows, refOf, ps, qs } = this.block();
    const { hidden } = mlp;
    const m = end - start;
    let refs = 0;
    for (let k = 0; k < m; k++) {
      const r = start + k;
      const row = list?.[r];
      this.prepare(row, r, cols, columns);
      this.verdictsInto(sloOf(row, columns, r), r, out);
      const o = k * N_INPUTS;
      for (let i = 0, at = k; i < N_INPUTS; i++, at += stride) {
        const zi = z[i] as number;
        zs[at] = zi;
        zRows[o + i] = zi;
      }
      let same = refs > 0;
      const last = (refs - 1) * N_INPUTS;
      for (let i = 0; same && i < N_INPUTS; i++) {
        same = sameNumber(zrRows[last + i] as number, zr[i] as number);
      }
      if (!same) {
        const u = refs * N_INPUTS;
        for (let i = 0, at = refs; i < N_INPUTS; i++, at += stride) {
          const zi = zr[i] as number;
          zrs[at] = zi;
          zrRows[u + i] = zi;
        }
        refs++;
      }
      refOf[k] = refs - 1;
    }
    mlp.preactivationsOfBlock(zs, stride, m, ps);
    mlp.preactivationsOfBlock(zrs, stride, refs, qs);
    for (let k = 0; k < m; k++) {
      const r = start + k;
      const ref = refOf[k] as number;
      if (top === 0) {
        const risk = sigmoid(a * mlp.logitPairFrom(ps, k * hidden, qs, ref * hidden) + b);
        this.risksInto(out, r, risk, sigmoid(a * mlp.lastRefLogit + b));
        continue;
      }
      mlp.attributeFrom(
        ps,
        k * hidden,
        qs,
        ref * hidden,
        zRows,
        k * N_INPUTS,
        zrRows,
        ref * N_INPUTS,
        a,
        b,
        this.attr,
      );
      this.explanationInto(out, r, top);
      this.risksInto(out, r, mlp.lastRisk, mlp.lastRefRisk);
    }
  }

  /** The arrays `score` with `reuse` writes into, grown to hold n rows. */
  private storageFor(n: number): BatchStorage {
    const held = this.storage;
    if (held !== undefined && held.bytes.length >= n * ROW_BYTES) return held;
    this.storage = {
      numbers: new Float64Array(n * ROW_DOUBLES),
      bytes: new Uint8Array(n * ROW_BYTES),
    };
    return this.storage;
  }
  private storage: BatchStorage | undefined;

  /** The block's arrays, made on the first block and reused. */
  private block(): Block {
    if (this.blockArrays === undefined) {
      const s = this.blockRows;
      const h = this.mlp.hidden;
      this.blockArrays = {
        zs: new Float64Array(N_INPUTS * s),
        zrs: new Float64Array(N_INPUTS * s),
        zRows: new Float64Array(N_INPUTS * s),
        zrRows: new Float64Array(N_INPUTS * s),
        refOf: new Int32Array(s),
        ps: new Float64Array(h * s),
        qs: new Float64Array(h * s),
      };
    }
    return this.blockArrays;
  }
  private blockArrays: Block | undefined;

  /**
   * Row r's values, references, imputed mask and the deterministic layers' verdicts (from the
   * prepared row and its SLO), and the layer that sets its risk.
   */
  private verdictsInto(sloInput: SloInput | undefined, r: number, out: ScoredBatch): void {
    const { d } = this;
    const { numbers, bytes } = out;
    const at = r * ROW_DOUBLES;
    const { raw, refRaw } = d;
    for (let i = 0; i < N_FEATURES; i++) {
      numbers[at + AT_VALUE + i] = raw[i] as number;
      numbers[at + AT_REFERENCE + i] = refRaw[i] as number;
    }
    numbers[at + AT_IMPUTED] = d.imputedMask;
    const slo = evaluateSlo(sloInput);
    const own = this.ownNormalCode(numbers, at + AT_OWN_NORMAL);
    out.abstained[r] = this.outOfDistribution(d.x) ?? null;
    out.slo[r] = slo;
    bytes[r * ROW_BYTES + AT_OWN_CODE] = own;
    bytes[r * ROW_BYTES + AT_LAYER] = slo.fired
      ? LAYER_SLO
      : ownNormalFired(own)
        ? LAYER_OWN_NORMAL
        : LAYER_MODEL;
  }

  /** Row r's risks: the model's, its reference's, and the overall one (after `verdictsInto`). */
  private risksInto(out: ScoredBatch, r: number, risk: number, refRisk: number): void {
    const { numbers, bytes } = out;
    const at = r * ROW_DOUBLES;
    numbers[at + AT_MODEL_RISK] = risk;
    numbers[at + AT_REFERENCE_RISK] = refRisk;
    numbers[at + AT_RISK] = bytes[r * ROW_BYTES + AT_LAYER] === LAYER_MODEL ? risk : 1;
  }

  /**
   * Row r's contributions per feature (from `attr`) and the `top` feature indices by descending
   * |contribution|, ties in schema order: an insertion sort that keeps only the first `top`
   * places (all of them by default).
   */
  private explanationInto(out: ScoredBatch, r: number, top: number): void {
    this.sumByFeature();
    const { contrib, magnitude } = this;
    const { numbers, bytes } = out;
    const at = r * ROW_DOUBLES;
    const rank = r * ROW_BYTES + AT_RANKING;
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

  /**
   * The risk of one row without the explanation (replay, evaluation): the same derivation,
   * network, guard rail and SLO layer as `predict`. `topFeatureOfLast` explains it on demand.
   */
  risk(row: FeatureInput, index = 0): RiskOnly {
    this.prepare(row, index);
    const risk = sigmoid(this.a * this.mlp.logit(this.z) + this.b);
    const ood = this.outOfDistribution(this.d.x);
    const slo = evaluateSlo(row.slo);
    const own = this.ownNormalCode(this.ownNumbers, 0);
    const layer = layerOf(slo.fired, ownNormalFired(own));
    this.lastOwnSignal = layer === 'own_normal' ? (ownNormalSignal(own) ?? undefined) : undefined;
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

/** Row r's SLO: the row object's, or entry r of the columns' (null: none). */
function sloOf(
  row: FeatureInput | undefined,
  columns: RowColumns | undefined,
  r: number,
): SloInput | undefined {
  return row === undefined ? (columns?.slo?.[r] ?? undefined) : row.slo;
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
