import { DERIVED_INPUTS, N_INPUTS } from '../features/derive.js';
import { Rng } from '../rng.js';
import { tf } from '../tf.js';
import type { Dataset } from '../data/dataset.js';
import type { InputMetadata } from '../artifact.js';
import { fitPlatt, type PlattCalibration } from './calibrate.js';

export interface TrainConfig {
  seed: number;
  /** Width of the one hidden ReLU layer (half its units raise the logit, half lower it). */
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the kernels. */
  l2: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  seed: 42,
  hidden: 32,
  epochs: 40,
  batchSize: 256,
  learningRate: 0.003,
  l2: 1e-5,
};

/** Standardised inputs are clipped to ±CLIP. */
export const CLIP = 8;
/** The training range of each input is its [0.05 %, 99.95 %] quantiles. */
const ENVELOPE_Q = 0.0005;

export interface TrainedModel {
  model: tf.LayersModel;
  inputs: InputMetadata[];
  calibration: PlattCalibration;
  unitSigns: number[];
  /** Mean training loss per epoch. */
  lossHistory: number[];
}

/** Mean, std and training range of each input over `d`. */
export function fitInputs(d: Dataset): InputMetadata[] {
  if (d.rows === 0) throw new RangeError('cannot fit input statistics on zero rows');
  return DERIVED_INPUTS.map((spec, i) => {
    const col = new Float64Array(d.rows);
    let sum = 0;
    for (let r = 0; r < d.rows; r++) {
      const v = d.x[r * N_INPUTS + i] as number;
      col[r] = v;
      sum += v;
    }
    const mean = sum / d.rows;
    let ss = 0;
    for (const v of col) ss += (v - mean) ** 2;
    const sd = Math.sqrt(ss / d.rows);
    col.sort();
    const at = (q: number): number =>
      col[Math.min(d.rows - 1, Math.floor(q * (d.rows - 1)))] as number;
    return {
      name: spec.name,
      feature: spec.feature,
      monotone: spec.monotone,
      mean,
      // A constant input (e.g. a user CSV without latency) gets std 1 so it maps to 0, not NaN.
      std: sd > 1e-9 ? sd : 1,
      lo: at(ENVELOPE_Q),
      hi: at(1 - ENVELOPE_Q),
    };
  });
}

/** The standardised, clipped design matrix as float32, row-major. */
export function standardiseDataset(inputs: readonly InputMetadata[], d: Dataset): Float32Array {
  const out = new Float32Array(d.rows * N_INPUTS);
  for (let r = 0; r < d.rows; r++) {
    for (let i = 0; i < N_INPUTS; i++) {
      const m = inputs[i] as InputMetadata;
      const v = ((d.x[r * N_INPUTS + i] as number) - m.mean) / m.std;
      out[r * N_INPUTS + i] = v > CLIP ? CLIP : v < -CLIP ? -CLIP : v;
    }
  }
  return out;
}

/** +1 for the first half of the hidden units, −1 for the rest. */
export function unitSignsOf(hidden: number): number[] {
  return Array.from({ length: hidden }, (_, j) => (j < Math.ceil(hidden / 2) ? 1 : -1));
}

/** The network: one hidden ReLU layer and a linear output (the logit, calibrated afterwards). */
export function buildModel(cfg: Pick<TrainConfig, 'hidden' | 'seed'>): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units: cfg.hidden,
      activation: 'relu',
      inputShape: [N_INPUTS],
      kernelInitializer: tf.initializers.heNormal({ seed: cfg.seed }),
      biasInitializer: 'zeros',
      name: 'hidden',
    }),
  );
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

/**
 * The monotone set: for a monotone input i and hidden unit j with sign s_j, s_j·W1[i][j] ≥ 0, and
 * s_j·w2[j] ≥ 0. Returns a function that projects the weights onto it (zeroing violations).
 */
function projector(model: tf.LayersModel, signs: readonly number[]): () => void {
  const [k1, , k2] = model.trainableWeights.map((w) => w) as tf.LayerVariable[];
  const h = signs.length;
  const m1 = new Float32Array(N_INPUTS * h);
  DERIVED_INPUTS.forEach((spec, i) => {
    if (spec.monotone === 1) for (let j = 0; j < h; j++) m1[i * h + j] = signs[j] as number;
  });
  const mask1 = tf.tensor2d(m1, [N_INPUTS, h]);
  const mask2 = tf.tensor2d(Float32Array.from(signs), [h, 1]);
  const project = (v: tf.LayerVariable, mask: tf.Tensor): void => {
    const next = tf.tidy(() => {
      const w = v.read();
      return w.add(mask.mul(tf.relu(mask.mul(w).neg())));
    });
    v.write(next);
    next.dispose();
  };
  return () => {
    project(k1 as tf.LayerVariable, mask1);
    project(k2 as tf.LayerVariable, mask2);
  };
}

/** Logits of a standardised matrix. */
export function predictLogits(model: tf.LayersModel, x: Float32Array, rows: number): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(x, [rows, N_INPUTS])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/**
 * Trains on the cpu backend (deterministic given the seed: seeded initialisers, seeded shuffle,
 * no dropout), projecting onto the monotone set after every step, then fits Platt scaling on
 * `validation` (other runs than the training rows).
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
  const inputs = fitInputs(train);
  const xAll = tf.tensor2d(standardiseDataset(inputs, train), [train.rows, N_INPUTS]);
  const yAll = tf.tensor2d(Float32Array.from(train.y), [train.rows, 1]);
  const model = buildModel(cfg);
  const signs = unitSignsOf(cfg.hidden);
  // Start inside the monotone set with every output weight on its unit's side.
  const [, , k2] = model.trainableWeights as tf.LayerVariable[];
  const w2 = tf.tidy(() =>
    (k2 as tf.LayerVariable)
      .read()
      .abs()
      .mul(tf.tensor2d(Float32Array.from(signs), [signs.length, 1])),
  );
  (k2 as tf.LayerVariable).write(w2);
  w2.dispose();
  const project = projector(model, signs);
  project();

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
        project();
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
  const logits = predictLogits(model, standardiseDataset(inputs, validation), validation.rows);
  const calibration = fitPlatt(logits, validation.y);
  return { model, inputs, calibration, unitSigns: signs, lossHistory };
}
