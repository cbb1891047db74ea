import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  FEATURES,
  riskLevel,
  type Contribution,
  type FeatureInput,
  type FeatureName,
  type Prediction,
} from './schema.js';
import { normaliseInto, type Normalisation } from './normalise.js';
import { readArtifact, ArtifactError, type ModelMetadata } from './artifact.js';
import { CompiledMlp, compilePrepare, type DenseWeights, type PrepareFn } from './compiled.js';
import { selectBackend, tf, type Engine } from './tf.js';

export type { ModelMetadata } from './artifact.js';
export type { Engine } from './tf.js';

function findArtifactDir(): string {
  // src/predictor.ts (tsx, jest) and dist/src/predictor.js (built) both live under model/.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'artifacts');
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
}

/** Absolute path of the committed artifact, model/artifacts. */
export const DEFAULT_ARTIFACT_DIR: string = findArtifactDir();

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

const N = FEATURES.length;
const NAMES: readonly FeatureName[] = FEATURES.map((f) => f.name);
const NOTHING_IMPUTED = Object.freeze([]) as unknown as FeatureName[];
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Reads the dense layers of a loaded tfjs model as plain arrays. */
function denseWeightsOf(model: tf.LayersModel): DenseWeights[] {
  return model.layers.map((layer, k) => {
    const cfg = layer.getConfig() as { activation?: string; useBias?: boolean };
    if (layer.getClassName() !== 'Dense') {
      throw new RangeError(
        `layer ${k} is ${layer.getClassName()}; the compiled path supports Dense only`,
      );
    }
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) throw new RangeError(`layer ${k} has no bias`);
    const [inSize, outSize] = kernel.shape as [number, number];
    if (cfg.activation !== 'relu' && cfg.activation !== 'linear') {
      throw new RangeError(
        `layer ${k} uses activation ${String(cfg.activation)}; supported: relu, linear`,
      );
    }
    return {
      inSize,
      outSize,
      kernel: kernel.dataSync() as Float32Array,
      bias: bias.dataSync() as Float32Array,
      relu: cfg.activation === 'relu',
    };
  });
}

/**
 * Loads the risk model and scores feature vectors. `predict` is the synchronous fast path
 * (compiled from the loaded weights, with its explanation); `predictReference` runs the same
 * inputs through tfjs.
 */
export class Predictor {
  readonly metadata: ModelMetadata;
  readonly version: string;
  readonly threshold: number;
  readonly backendName: string;
  private readonly model: tf.LayersModel;
  private readonly norm: Normalisation;
  private readonly mlp: CompiledMlp;
  private readonly prepare: PrepareFn;
  private readonly a: number;
  private readonly b: number;
  private readonly steps: number;
  private readonly baselineCal: number;
  private readonly baselineRisk: number;
  private readonly raw = new Float64Array(N);
  private readonly z = new Float64Array(N);
  private readonly attribution = new Float64Array(N);
  private readonly contribution = new Float64Array(N);
  private readonly magnitude = new Float64Array(N);
  private readonly order = new Int32Array(N);

  private constructor(
    model: tf.LayersModel,
    metadata: ModelMetadata,
    backendName: string,
    explanationSteps?: number,
  ) {
    this.model = model;
    this.metadata = metadata;
    this.version = metadata.version;
    this.threshold = metadata.threshold;
    this.backendName = backendName;
    this.norm = metadata.normalisation;
    if (
      this.norm.transforms.length !== N ||
      this.norm.transforms.some((t, i) => t.feature !== FEATURES[i]?.name)
    ) {
      throw new RangeError('the artifact was trained on a different feature list than this schema');
    }
    this.a = metadata.calibration.a;
    this.b = metadata.calibration.b;
    this.steps = explanationSteps ?? Math.max(1, Math.round(metadata.explanation.steps));
    const baselineZ = new Float64Array(N);
    normaliseInto(
      this.norm,
      FEATURES.map((f) => metadata.explanation.baseline[f.name] ?? f.default),
      baselineZ,
    );
    this.mlp = new CompiledMlp(denseWeightsOf(model), baselineZ);
    this.prepare = compilePrepare(
      this.norm.transforms.map((t, i) => {
        const spec = FEATURES[i] as (typeof FEATURES)[number];
        return { ...t, name: spec.name, required: spec.required, default: spec.default };
      }),
      this.norm.clip,
    );
    this.baselineCal = this.a * this.mlp.baselineLogit + this.b;
    this.baselineRisk = sigmoid(this.baselineCal);
  }

  /** Loads model.json, weights.bin and metadata.json from `dir` (default: the committed artifact). */
  static async load(
    opts: {
      dir?: string;
      engine?: Engine;
      /** Integrated-gradient steps (default: the artifact's, 4); fewer is faster, less exact. */
      explanationSteps?: number;
    } = {},
  ): Promise<Predictor> {
    const steps = opts.explanationSteps;
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1 && steps <= 64)) {
      throw new RangeError(`explanationSteps must be an integer from 1 to 64, got ${steps}`);
    }
    const dir = opts.dir ?? DEFAULT_ARTIFACT_DIR;
    const { artifacts, metadata } = await readArtifact(dir);
    const backendName = await selectBackend(opts.engine ?? 'auto');
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (err) {
      throw new ArtifactError(dir, `tfjs could not load the model in ${dir}`, { cause: err });
    }
    try {
      return new Predictor(model, metadata, backendName, steps);
    } catch (err) {
      model.dispose();
      throw new ArtifactError(
        dir,
        `the model in ${dir} does not fit the compiled path: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Fills `this.raw` and `this.z` from a row, imputing omitted optional features; returns the imputed names. */
  private fill(row: FeatureInput, index: number): FeatureName[] {
    const scratch = this.imputedScratch;
    scratch.length = 0;
    this.current = row;
    this.currentIndex = index;
    this.prepare(row, this.raw, this.z, scratch, this.fail);
    // Clients that send every feature get one shared, frozen empty list: no allocation per row.
    return scratch.length === 0 ? NOTHING_IMPUTED : scratch.slice();
  }

  private readonly imputedScratch: FeatureName[] = [];
  private current: FeatureInput | undefined;
  private currentIndex = 0;
  private readonly fail = (i: number, reason: 0 | 1): never => {
    const name = NAMES[i] as FeatureName;
    const index = this.currentIndex;
    const value = (this.current as Partial<Record<FeatureName, unknown>> | undefined)?.[name];
    throw new PredictInputError(
      index,
      name,
      reason === 0
        ? `row ${index}: ${name} is required`
        : `row ${index}: ${name} must be a finite number, got ${String(value)}`,
    );
  };

  /**
   * Scores already-validated rows. Each prediction explains itself: every feature's contribution in
   * risk units (integrated gradients against the healthy baseline), largest |contribution| first.
   */
  predict(rows: readonly FeatureInput[]): Prediction[] {
    const out: Prediction[] = new Array(rows.length);
    const { a, b, raw, z, attribution, baselineCal, baselineRisk } = this;
    const model = Object.freeze({ version: this.version });
    for (let r = 0; r < rows.length; r++) {
      const imputed = this.fill(rows[r] as FeatureInput, r);
      const logit = this.mlp.attribute(z, this.steps, attribution);
      const cal = a * logit + b;
      const risk = sigmoid(cal);
      // Integrated gradients are additive in logit space; the chord slope of the sigmoid between
      // the baseline and this point maps them to risk units so they sum to risk − baseline risk.
      const d = cal - baselineCal;
      const slope = Math.abs(d) > 1e-9 ? (risk - baselineRisk) / d : risk * (1 - risk);
      const k = a * slope;
      // The quadrature leaves a small residual; spread it in proportion to |attribution| so the
      // contributions sum exactly to risk − baseline risk.
      let sum = 0;
      let mass = 0;
      for (let i = 0; i < N; i++) {
        const c = (attribution[i] as number) * k;
        sum += c;
        mass += c < 0 ? -c : c;
      }
      const spread = mass > 0 ? (risk - baselineRisk - sum) / mass : 0;
      // Insertion sort of the feature indices by |contribution|: 12 items, no closures or copies.
      const { order, magnitude, contribution } = this;
      for (let i = 0; i < N; i++) {
        const raw0 = (attribution[i] as number) * k;
        const c = raw0 + spread * (raw0 < 0 ? -raw0 : raw0);
        contribution[i] = c;
        const m = c < 0 ? -c : c;
        let j = i;
        while (j > 0 && (magnitude[j - 1] as number) < m) {
          magnitude[j] = magnitude[j - 1] as number;
          order[j] = order[j - 1] as number;
          j--;
        }
        magnitude[j] = m;
        order[j] = i;
      }
      const explanation: Contribution[] = new Array(N);
      for (let j = 0; j < N; j++) {
        const i = order[j] as number;
        explanation[j] = {
          feature: NAMES[i] as FeatureName,
          value: raw[i] as number,
          contribution: contribution[i] as number,
        };
      }
      out[r] = {
        risk,
        level: riskLevel(risk),
        threshold: this.threshold,
        explanation,
        imputed,
        model,
      };
    }
    return out;
  }

  /** The reference engine: the same inputs through tfjs `model.predict`; calibrated risks. */
  async predictReference(rows: readonly FeatureInput[]): Promise<number[]> {
    const x = new Float32Array(rows.length * N);
    for (let r = 0; r < rows.length; r++) {
      this.fill(rows[r] as FeatureInput, r);
      normaliseInto(this.norm, this.raw, x, r * N);
    }
    const input = tf.tensor2d(x, [rows.length, N]);
    try {
      const output = this.model.predict(input) as tf.Tensor;
      const logits = await output.data();
      output.dispose();
      return Array.from(logits, (l) => sigmoid(this.a * l + this.b));
    } finally {
      input.dispose();
    }
  }

  /** The risk of the healthy baseline (schema defaults), the zero point of every explanation. */
  get baseline(): number {
    return this.baselineRisk;
  }

  dispose(): void {
    this.model.dispose();
  }
}
