import { FEATURES, LABEL_HORIZON_MINUTES, type FeatureName } from '../schema.js';
import { serialiseModel, sha256, type ModelMetadata } from '../artifact.js';
import { generateRuns, runsToDataset, datasetDigest, type Dataset } from '../data/dataset.js';
import { brier, confusion, ece, prAuc, rocAuc, logLoss } from '../eval/metrics.js';
import { CompiledMlp } from '../compiled.js';
import { normaliseInto } from '../normalise.js';
import { sigmoid } from './calibrate.js';
import {
  DEFAULT_TRAIN_CONFIG,
  normaliseDataset,
  predictLogits,
  trainModel,
  type TrainConfig,
  type TrainedModel,
} from './train.js';

/** How much synthetic data to generate, and from which seeds. */
export interface SyntheticSpec {
  trainSeed: number;
  validationSeed: number;
  runsPerScenario: number;
  validationRunsPerScenario: number;
  /** Share of training rows whose optional features are replaced by their defaults. */
  imputeFraction: number;
  /** Share of training rows pushed past one SLO limit (labelled 1). */
  breachAugmentFraction: number;
}

export const DEFAULT_SYNTHETIC: SyntheticSpec = {
  trainSeed: 1,
  validationSeed: 2,
  runsPerScenario: 40,
  validationRunsPerScenario: 12,
  imputeFraction: 0.2,
  breachAugmentFraction: 0.04,
};

/**
 * The default decision threshold: the value on a 0.05 grid that maximises F1 on the validation
 * split (ties: the higher threshold), so "at risk" balances missed breaches and false alarms.
 */
export function selectThreshold(risks: readonly number[], labels: ArrayLike<number>): number {
  let best = 0.5;
  let bestF1 = -1;
  for (let k = 1; k < 20; k++) {
    const t = k / 20;
    const c = confusion(risks, labels, t);
    const f1 = (2 * c.tp) / Math.max(1, 2 * c.tp + c.fp + c.fn);
    if (f1 >= bestF1) {
      bestF1 = f1;
      best = t;
    }
  }
  return best;
}
/** Integrated-gradient steps of the explanation (see README: accuracy vs. speed). */
export const DEFAULT_IG_STEPS = 4;

export type TrainingData =
  | { kind: 'synthetic'; spec: SyntheticSpec }
  | { kind: 'csv'; path: string; train: Dataset; validation: Dataset };

export interface BuiltArtifact {
  modelJson: string;
  weights: Uint8Array;
  metadata: ModelMetadata;
  trained: TrainedModel;
}

/** Generates the synthetic training and validation sets (training-range parameters, own seeds). */
export function syntheticData(spec: SyntheticSpec): { train: Dataset; validation: Dataset } {
  const train = runsToDataset(
    generateRuns({ seed: spec.trainSeed, variant: 'train', runsPerScenario: spec.runsPerScenario }),
    spec.imputeFraction,
    spec.trainSeed,
    true,
    spec.breachAugmentFraction,
  );
  const validation = runsToDataset(
    generateRuns({
      seed: spec.validationSeed,
      variant: 'train',
      runsPerScenario: spec.validationRunsPerScenario,
    }),
  );
  return { train, validation };
}

/** Trains a model and assembles its artifact files (nothing is written). */
export async function buildArtifact(opts: {
  data: TrainingData;
  config?: TrainConfig;
  threshold?: number;
  igSteps?: number;
  createdAt?: string;
  onEpoch?: (epoch: number, loss: number) => void;
}): Promise<BuiltArtifact> {
  const config = opts.config ?? DEFAULT_TRAIN_CONFIG;
  const { train, validation } =
    opts.data.kind === 'synthetic' ? syntheticData(opts.data.spec) : opts.data;
  const trained = await trainModel(train, validation, config, opts.onEpoch);
  const { modelJson, weights } = await serialiseModel(trained.model);
  const weightsDigest = sha256(weights);

  const { a, b } = trained.calibration;
  const logits = predictLogits(
    trained.model,
    normaliseDataset(trained.normalisation, validation),
    validation.rows,
  );
  const risks = Array.from(logits, (l) => sigmoid(a * l + b));
  const baseline = Object.fromEntries(FEATURES.map((f) => [f.name, f.default])) as Record<
    FeatureName,
    number
  >;
  const baselineZ = new Float64Array(FEATURES.length);
  normaliseInto(
    trained.normalisation,
    FEATURES.map((f) => f.default),
    baselineZ,
  );
  const kernels = trained.model.layers.map((l) => l.getWeights());
  const mlp = new CompiledMlp(
    kernels.map(([k, bias], i) => ({
      inSize: k!.shape[0] as number,
      outSize: k!.shape[1] as number,
      kernel: k!.dataSync() as Float32Array,
      bias: bias!.dataSync() as Float32Array,
      relu: i < kernels.length - 1,
    })),
    baselineZ,
  );
  let positives = 0;
  for (let i = 0; i < train.rows; i++) positives += train.y[i] as number;

  const metadata: ModelMetadata = {
    format: 'aiops-risk-model/1',
    version: `risk-mlp-${weightsDigest.slice(0, 12)}`,
    createdAt: opts.createdAt ?? new Date().toISOString(),
    threshold: opts.threshold ?? selectThreshold(risks, validation.y),
    labelHorizonMinutes: LABEL_HORIZON_MINUTES,
    features: FEATURES.map((f) => ({
      name: f.name,
      unit: f.unit,
      min: f.min,
      max: f.max,
      required: f.required,
      default: f.default,
    })),
    normalisation: trained.normalisation,
    calibration: trained.calibration,
    architecture: { hidden: config.hidden, activation: 'relu', output: 'logit' },
    explanation: {
      method: 'integrated_gradients',
      steps: opts.igSteps ?? DEFAULT_IG_STEPS,
      baseline,
      baselineRisk: sigmoid(a * mlp.baselineLogit + b),
    },
    training: {
      source: opts.data.kind,
      dataDigest: datasetDigest(train),
      rows: train.rows,
      positives,
      validationRows: validation.rows,
      config: { ...config },
      finalLoss: trained.lossHistory[trained.lossHistory.length - 1] ?? NaN,
      data: opts.data.kind === 'synthetic' ? { ...opts.data.spec } : { csv: opts.data.path },
    },
    weightsDigest,
    metrics: {
      validationRocAuc: rocAuc(risks, validation.y),
      validationPrAuc: prAuc(risks, validation.y),
      validationBrier: brier(risks, validation.y),
      validationEce: ece(risks, validation.y),
      validationLogLoss: logLoss(risks, validation.y),
    },
  };
  return { modelJson, weights, metadata, trained };
}
