import { FEATURES } from '../schema.js';
import { fitNormalisation, normaliseInto, type Normalisation } from '../normalise.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import type { Dataset } from '../data/dataset.js';
import { fitPlatt, type PlattCalibration } from './calibrate.js';

export interface TrainConfig {
  seed: number;
  /** Hidden layer widths (ReLU). */
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the kernels. */
  l2: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  seed: 42,
  hidden: [24, 12],
  epochs: 60,
  batchSize: 256,
  learningRate: 0.003,
  l2: 1e-5,
};

export interface TrainedModel {
  model: tf.LayersModel;
  normalisation: Normalisation;
  calibration: PlattCalibration;
  /** Mean training loss per epoch. */
  lossHistory: number[];
}

/** Training data matrix: normalised inputs as float32, row-major. */
export function normaliseDataset(norm: Normalisation, d: Dataset): Float32Array {
  const n = FEATURES.length;
  const out = new Float32Array(d.rows * n);
  for (let i = 0; i < d.rows; i++)
    normaliseInto(norm, d.x.subarray(i * n, (i + 1) * n), out, i * n);
  return out;
}

/** The network: dense ReLU layers and a linear output (the logit, calibrated afterwards). */
export function buildModel(cfg: Pick<TrainConfig, 'hidden' | 'seed' | 'l2'>): tf.Sequential {
  const model = tf.sequential();
  cfg.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        inputShape: i === 0 ? [FEATURES.length] : undefined,
        kernelInitializer: tf.initializers.heNormal({ seed: cfg.seed + i }),
        biasInitializer: 'zeros',
        name: `hidden${i + 1}`,
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: cfg.seed + 100 }),
      name: 'logit',
    }),
  );
  return model;
}

/** Logits of a normalised matrix. */
export function predictLogits(model: tf.LayersModel, x: Float32Array, rows: number): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(x, [rows, FEATURES.length])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/**
 * Trains on the cpu backend (deterministic given the seed: seeded initialisers, seeded shuffle,
 * no dropout), then fits Platt scaling on `validation`.
 */
export async function trainModel(
  train: Dataset,
  validation: Dataset,
  cfg: TrainConfig = DEFAULT_TRAIN_CONFIG,
  onEpoch?: (epoch: number, loss: number) => void,
): Promise<TrainedModel> {
  if (train.rows === 0) throw new RangeError('the training set is empty');
  if (validation.rows === 0) throw new RangeError('the validation set is empty');
  await tf.setBackend('cpu');
  await tf.ready();
  const n = FEATURES.length;
  const rowsOf = (d: Dataset): Float64Array[] =>
    Array.from({ length: d.rows }, (_, i) => d.x.subarray(i * n, (i + 1) * n));
  const normalisation = fitNormalisation(rowsOf(train));
  const xAll = tf.tensor2d(normaliseDataset(normalisation, train), [train.rows, n]);
  const yAll = tf.tensor2d(Float32Array.from(train.y), [train.rows, 1]);

  const model = buildModel(cfg);
  const optimizer = tf.train.adam(cfg.learningRate);
  const rng = new Rng(cfg.seed);
  const order = Array.from({ length: train.rows }, (_, i) => i);
  const kernels = model.trainableWeights
    .filter((w) => w.name.includes('kernel'))
    .map((w) => w.read());
  const lossHistory: number[] = [];
  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      rng.shuffle(order);
      let total = 0;
      let batches = 0;
      for (let start = 0; start < order.length; start += cfg.batchSize) {
        const idx = tf.tensor1d(order.slice(start, start + cfg.batchSize), 'int32');
        const loss = optimizer.minimize(() => {
          const xb = tf.gather(xAll, idx);
          const yb = tf.gather(yAll, idx);
          const logits = model.apply(xb, { training: true }) as tf.Tensor;
          const ce = tf.losses.sigmoidCrossEntropy(yb, logits);
          const l2 = tf.addN(kernels.map((k) => tf.sum(tf.square(k)))).mul(cfg.l2);
          return ce.add(l2) as tf.Scalar;
        }, true);
        idx.dispose();
        if (loss) {
          total += (await loss.data())[0] as number;
          loss.dispose();
        }
        batches++;
      }
      lossHistory.push(total / batches);
      onEpoch?.(epoch, total / batches);
    }
  } finally {
    xAll.dispose();
    yAll.dispose();
    optimizer.dispose();
  }
  const logits = predictLogits(model, normaliseDataset(normalisation, validation), validation.rows);
  const calibration = fitPlatt(logits, validation.y);
  return { model, normalisation, calibration, lossHistory };
}
