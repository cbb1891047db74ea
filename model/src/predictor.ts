import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureInput, FeatureName, Prediction } from './schema.js';
import { N_INPUTS, type RowColumns } from './features/derive.js';
import { readArtifact, ArtifactError, type ModelMetadata } from './artifact.js';
import {
  Scorer,
  PredictInputError,
  scorerSpecOf,
  type PredictOptions,
  type RiskOnly,
} from './scoring/scorer.js';
import type { ScoredBatch } from './scoring/scoredBatch.js';
import type { MlpWeights } from './network/monotoneMlp.js';
import { selectBackend, tf, type Engine } from './tf.js';

export type { ModelMetadata } from './artifact.js';
export type { Engine } from './tf.js';
export { PredictInputError };

function findArtifactDir(): string {
  // src/predictor.ts (tsx, jest) and dist/src/predictor.js (built) both live under model/.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'artifacts');
    dir = path.dirname(dir);
  }
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
}

/**
 * Absolute path of the committed artifacts root, model/artifacts: one folder per version and a
 * `CURRENT` file naming the one to serve.
 */
export const DEFAULT_ARTIFACT_DIR: string = findArtifactDir();

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Reads the two dense layers of a loaded tfjs model as plain arrays. */
export function mlpWeightsOf(model: tf.LayersModel): MlpWeights {
  const dense = model.layers;
  if (dense.length !== 2 || dense.some((l) => l.getClassName() !== 'Dense')) {
    throw new RangeError(
      'the network must be two Dense layers (one hidden ReLU layer, a linear output)',
    );
  }
  const [hidden, output] = dense as [tf.layers.Layer, tf.layers.Layer];
  const hc = hidden.getConfig() as { activation?: string };
  const oc = output.getConfig() as { activation?: string };
  if (hc.activation !== 'relu' || oc.activation !== 'linear') {
    throw new RangeError('the hidden layer must be ReLU and the output linear');
  }
  const [k1, b1] = hidden.getWeights();
  const [k2, b2] = output.getWeights();
  if (!k1 || !b1 || !k2 || !b2) throw new RangeError('a layer has no kernel or bias');
  const [inSize, h] = k1.shape as [number, number];
  return {
    inSize,
    hidden: h,
    w1: Float64Array.from(k1.dataSync()),
    b1: Float64Array.from(b1.dataSync()),
    w2: Float64Array.from(k2.dataSync()),
    b2: b2.dataSync()[0] as number,
  };
}

/** Builds the scorer of an artifact's metadata and weights. */
export function scorerOf(metadata: ModelMetadata, weights: MlpWeights): Scorer {
  return new Scorer(scorerSpecOf(metadata, weights));
}

/**
 * Loads the risk model and scores feature rows. `predict` is the synchronous fast path (the
 * network in plain typed arrays, with its exact explanation); `predictReference` runs the same
 * inputs through tfjs.
 */
export class Predictor {
  readonly metadata: ModelMetadata;
  readonly version: string;
  readonly threshold: number;
  readonly backendName: string;
  /** The version directory the model was loaded from. */
  readonly dir: string;
  readonly scorer: Scorer;
  private readonly model: tf.LayersModel;

  private constructor(
    model: tf.LayersModel,
    metadata: ModelMetadata,
    backendName: string,
    dir: string,
  ) {
    this.model = model;
    this.metadata = metadata;
    this.version = metadata.version;
    this.threshold = metadata.threshold;
    this.backendName = backendName;
    this.dir = dir;
    this.scorer = scorerOf(metadata, mlpWeightsOf(model));
  }

  /**
   * Loads model.json, weights.bin and metadata.json from `dir`: a version folder, or an artifacts
   * root whose `CURRENT` file names one (default: the committed model/artifacts).
   */
  static async load(opts: { dir?: string; engine?: Engine } = {}): Promise<Predictor> {
    const root = opts.dir ?? DEFAULT_ARTIFACT_DIR;
    const { artifacts, metadata, dir } = await readArtifact(root);
    const backendName = await selectBackend(opts.engine ?? 'auto');
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (err) {
      throw new ArtifactError(dir, `tfjs could not load the model in ${dir}`, { cause: err });
    }
    try {
      return new Predictor(model, metadata, backendName, dir);
    } catch (err) {
      model.dispose();
      throw new ArtifactError(
        dir,
        `the model in ${dir} does not fit this code: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Scores already-validated rows. Each prediction explains the model layer against the
   * deployment's own normal and says which layer (model or SLO) set the risk.
   */
  predict(rows: readonly FeatureInput[], opts?: PredictOptions): Prediction[] {
    return this.scorer.predict(rows, opts);
  }

  /**
   * The same predictions as `predict`, kept in flat arrays: the backend writes them as JSON text
   * straight from there (`ScoredBatch.json`), without an object per row.
   */
  score(rows: readonly FeatureInput[] | RowColumns, opts?: PredictOptions): ScoredBatch {
    return this.scorer.score(rows, opts);
  }

  /** The risk of one row without the explanation (replay). */
  risk(row: FeatureInput, index = 0): RiskOnly {
    return this.scorer.risk(row, index);
  }

  /** The feature that raised the last `risk` call's risk most. */
  topFeatureOfLast(): FeatureName | undefined {
    return this.scorer.topFeatureOfLast();
  }

  /** The reference engine: the model layer's risks of the same inputs through tfjs `model.predict`. */
  async predictReference(rows: readonly FeatureInput[]): Promise<number[]> {
    const x = new Float32Array(rows.length * N_INPUTS);
    const z = new Float64Array(N_INPUTS);
    for (let r = 0; r < rows.length; r++) {
      this.scorer.standardise(this.scorer.inputsOf(rows[r] as FeatureInput), z);
      x.set(z, r * N_INPUTS);
    }
    const input = tf.tensor2d(x, [rows.length, N_INPUTS]);
    try {
      const output = this.model.predict(input) as tf.Tensor;
      const logits = await output.data();
      output.dispose();
      const { a, b } = this.metadata.calibration;
      return Array.from(logits, (l) => sigmoid(a * l + b));
    } finally {
      input.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}
