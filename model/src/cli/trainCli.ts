import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readArtifact, writeArtifact } from '../artifact.js';
import { CsvError, parseTrainingCsv, splitDataset } from '../data/csv.js';
import { DEFAULT_ARTIFACT_DIR } from '../predictor.js';
import { buildArtifact, DEFAULT_SYNTHETIC, type TrainingData } from '../train/pipeline.js';
import { DEFAULT_TRAIN_CONFIG } from '../train/train.js';

export interface TrainCliOptions {
  data?: string;
  out?: string;
  check?: boolean;
  epochs?: string;
}

/** Largest absolute difference between two float32 weight files of the same layout. */
export function maxWeightDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Infinity;
  const fa = new Float32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const fb = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  let m = 0;
  for (let i = 0; i < fa.length; i++)
    m = Math.max(m, Math.abs((fa[i] as number) - (fb[i] as number)));
  return m;
}

/** Retraining must reproduce the committed weights within this (documented in the README). */
export const REPRODUCTION_TOLERANCE = 1e-4;

/** The `train` command; returns the process exit code. */
export async function main(
  opts: TrainCliOptions,
  log: (line: string) => void = console.log,
): Promise<number> {
  const config = { ...DEFAULT_TRAIN_CONFIG };
  if (opts.epochs !== undefined) {
    const e = Number(opts.epochs);
    if (!Number.isInteger(e) || e < 1) {
      log(`--epochs must be a positive integer, got "${opts.epochs}"`);
      return 2;
    }
    config.epochs = e;
  }
  let data: TrainingData = { kind: 'synthetic', spec: DEFAULT_SYNTHETIC };
  if (opts.data !== undefined) {
    if (opts.check) {
      log('--check reproduces the committed synthetic artifact; it cannot be combined with --data');
      return 2;
    }
    try {
      const parsed = parseTrainingCsv(await readFile(opts.data, 'utf8'));
      data = { kind: 'csv', path: path.resolve(opts.data), ...splitDataset(parsed) };
    } catch (err) {
      if (err instanceof CsvError) {
        log(`${opts.data}: ${err.message}`);
        return 1;
      }
      throw err;
    }
  }
  const out = opts.check
    ? await mkdtemp(path.join(os.tmpdir(), 'aiops-model-check-'))
    : path.resolve(opts.out ?? DEFAULT_ARTIFACT_DIR);
  const started = performance.now();
  const built = await buildArtifact({
    data,
    config,
    onEpoch: (epoch, loss) => {
      if (epoch % 5 === 4 || epoch === config.epochs - 1)
        log(`epoch ${epoch + 1}/${config.epochs} loss ${loss.toFixed(5)}`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const m = built.metadata;
  log(
    `trained ${m.version} on ${m.training.rows} rows (${m.training.positives} positive) in ${seconds.toFixed(1)} s; ` +
      `validation ROC-AUC ${m.metrics.validationRocAuc?.toFixed(4)}, Brier ${m.metrics.validationBrier?.toFixed(4)}, ` +
      `ECE ${m.metrics.validationEce?.toFixed(4)}`,
  );
  try {
    if (!opts.check) {
      await writeArtifact(out, built);
      log(`wrote ${out}`);
      return 0;
    }
    const committed = await readArtifact(path.resolve(opts.out ?? DEFAULT_ARTIFACT_DIR));
    const committedWeights = new Uint8Array(committed.artifacts.weightData as ArrayBuffer);
    const diff = maxWeightDifference(built.weights, committedWeights);
    if (committed.metadata.weightsDigest === m.weightsDigest) {
      log(`reproduced bit-for-bit: ${m.version}`);
      return 0;
    }
    if (diff <= REPRODUCTION_TOLERANCE) {
      log(
        `reproduced within tolerance: max |Δweight| ${diff.toExponential(2)} ≤ ${REPRODUCTION_TOLERANCE}`,
      );
      return 0;
    }
    log(
      `NOT reproduced: max |Δweight| ${diff} > ${REPRODUCTION_TOLERANCE} (committed ${committed.metadata.version}, new ${m.version})`,
    );
    return 1;
  } finally {
    built.trained.model.dispose();
    if (opts.check) await rm(out, { recursive: true, force: true });
  }
}
