import { FEATURES, LABEL_HORIZON_MINUTES } from '../schema.js';
import { serialiseModel, sha256, type ModelMetadata } from '../artifact.js';
import {
  generateRuns,
  runsToDataset,
  datasetDigest,
  NO_AUGMENTATION,
  type Augmentation,
  type Dataset,
} from '../data/dataset.js';
import { DEFAULT_BASELINE_WINDOWS } from '../features/windows.js';
import { DEFAULT_GENERATOR, type GeneratorOptions } from '../data/simulate.js';
import { brier, confusion, ece, prAuc, rocAuc, logLoss } from '../eval/metrics.js';
import { sigmoid } from './calibrate.js';
import {
  CLIP,
  DEFAULT_TRAIN_CONFIG,
  predictLogits,
  standardiseDataset,
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
  augmentation: Augmentation;
  generator: GeneratorOptions;
}

export const DEFAULT_SYNTHETIC: SyntheticSpec = {
  trainSeed: 1,
  validationSeed: 2,
  runsPerScenario: 30,
  validationRunsPerScenario: 10,
  augmentation: {
    imputeFraction: 0.05,
    dropFeatureFraction: 0.15,
    noContextFraction: 0.25,
    breachAugmentFraction: 0.03,
  },
  generator: DEFAULT_GENERATOR,
};

/** Beyond its training range by more than this share of the range, an input makes the model abstain. */
export const OOD_MARGIN = 0.5;

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

export type TrainingData =
  | { kind: 'synthetic'; spec: SyntheticSpec }
  | {
      kind: 'csv';
      path: string;
      train: Dataset;
      validation: Dataset;
      split: Record<string, unknown>;
    };

export interface BuiltArtifact {
  modelJson: string;
  weights: Uint8Array;
  metadata: ModelMetadata;
  trained: TrainedModel;
}

/** Generates the synthetic training and validation sets (training-range parameters, own seeds). */
export function syntheticData(spec: SyntheticSpec): { train: Dataset; validation: Dataset } {
  const train = runsToDataset(
    generateRuns({
      seed: spec.trainSeed,
      variant: 'train',
      runsPerScenario: spec.runsPerScenario,
      generator: spec.generator,
    }),
    spec.augmentation,
    spec.trainSeed,
  );
  const validation = runsToDataset(
    generateRuns({
      seed: spec.validationSeed,
      variant: 'train',
      runsPerScenario: spec.validationRunsPerScenario,
      generator: spec.generator,
    }),
    NO_AUGMENTATION,
  );
  return { train, validation };
}

/** Trains a model and assembles its artifact files (nothing is written). */
export async function buildArtifact(opts: {
  data: TrainingData;
  config?: TrainConfig;
  threshold?: number;
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
    standardiseDataset(trained.inputs, validation),
    validation.rows,
  );
  const risks = Array.from(logits, (l) => sigmoid(a * l + b));
  let positives = 0;
  for (let i = 0; i < train.rows; i++) positives += train.y[i] as number;

  const metadata: ModelMetadata = {
    format: 'aiops-risk-model/2',
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
    inputs: trained.inputs,
    clip: CLIP,
    baselineWindows: DEFAULT_BASELINE_WINDOWS,
    calibration: trained.calibration,
    architecture: {
      hidden: [config.hidden],
      activation: 'relu',
      output: 'logit',
      unitSigns: trained.unitSigns,
    },
    ood: { margin: OOD_MARGIN },
    explanation: { method: 'integrated_gradients_exact', reference: 'deployment_baseline' },
    training: {
      source: opts.data.kind,
      dataDigest: datasetDigest(train),
      rows: train.rows,
      positives,
      validationRows: validation.rows,
      config: { ...config },
      finalLoss: trained.lossHistory[trained.lossHistory.length - 1] ?? NaN,
      data:
        opts.data.kind === 'synthetic'
          ? { ...opts.data.spec }
          : { csv: opts.data.path, split: opts.data.split },
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
