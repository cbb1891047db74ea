import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readArtifact, writeArtifact, writeCurrent } from '../artifact.js';
import { ReplayCsvError, ReplayTableBuilder, tableNotes, type ReplayTable } from '../replay/csv.js';
import { datasetFromTable, splitByTimeAndGroup, SplitError } from '../data/labelled.js';
import type { Dataset } from '../data/dataset.js';
import { N_INPUTS } from '../features/derive.js';
import { DEFAULT_ARTIFACT_DIR, mlpWeightsOf, scorerOf } from '../predictor.js';
import { buildArtifact, DEFAULT_SYNTHETIC, type TrainingData } from '../train/pipeline.js';
import { DEFAULT_TRAIN_CONFIG } from '../train/train.js';
import { brier, prAuc, rocAuc } from '../eval/metrics.js';
import type { Scorer } from '../scoring/scorer.js';

export interface TrainCliOptions {
  data?: string;
  out?: string;
  check?: boolean;
  epochs?: string;
  /** Write the version folder without making it the serving one (CURRENT unchanged). */
  candidate?: boolean;
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

/** Reads a labelled long-format file line by line (never one string). */
export async function readLabelledFile(file: string): Promise<ReplayTable> {
  const b = new ReplayTableBuilder({ label: true });
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) b.push(line);
  return b.finish();
}

/** ROC-AUC, PR-AUC and Brier of a scorer on derived rows. */
export function scoreDataset(scorer: Scorer, d: Dataset): Record<string, number> {
  const z = new Float64Array(N_INPUTS);
  const risks: number[] = [];
  for (let i = 0; i < d.rows; i++) {
    scorer.standardise(d.x.subarray(i * N_INPUTS, (i + 1) * N_INPUTS), z);
    risks.push(scorer.riskOfStandardised(z));
  }
  let positives = 0;
  for (let i = 0; i < d.rows; i++) positives += d.y[i] as number;
  return {
    rows: d.rows,
    positives,
    rocAuc: rocAuc(risks, d.y),
    prAuc: prAuc(risks, d.y),
    brier: brier(risks, d.y),
  };
}

export const TRAIN_USAGE =
  'usage: npm run train -w model [-- --data my.csv] [--out DIR] [--candidate] [--check] [--epochs N]';

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
  let tests: { testTime: Dataset; testGroup: Dataset } | undefined;
  if (opts.data !== undefined) {
    if (opts.check) {
      log('--check reproduces the committed synthetic artifact; it cannot be combined with --data');
      return 2;
    }
    try {
      const table = await readLabelledFile(opts.data);
      for (const note of tableNotes(table)) log(`${opts.data}: note: ${note}`);
      const split = splitByTimeAndGroup(datasetFromTable(table));
      log(
        `${opts.data}: ${table.rows} rows of ${table.series.length} deployments → train ${split.split.rows.train}, ` +
          `calibrate ${split.split.rows.validation}, test by time ${split.split.rows.testTime}, ` +
          `test on held-out deployments ${split.split.rows.testGroup} (${split.split.heldOutDeployments.join(', ') || 'none'})`,
      );
      data = {
        kind: 'csv',
        path: path.resolve(opts.data),
        train: split.train,
        validation: split.validation,
        split: split.split,
      };
      tests = { testTime: split.testTime, testGroup: split.testGroup };
    } catch (err) {
      if (err instanceof ReplayCsvError || err instanceof SplitError) {
        log(`${opts.data}: ${err.message}`);
        return 1;
      }
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        log(`cannot read ${opts.data}`);
        return 1;
      }
      throw err;
    }
  }
  const root = path.resolve(opts.out ?? DEFAULT_ARTIFACT_DIR);
  const out = opts.check ? await mkdtemp(path.join(os.tmpdir(), 'aiops-model-check-')) : root;
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
  if (tests) {
    const scorer = scorerOf(m, mlpWeightsOf(built.trained.model));
    for (const [name, d] of Object.entries(tests)) {
      if (d.rows === 0) continue;
      const s = scoreDataset(scorer, d);
      for (const [k, v] of Object.entries(s))
        m.metrics[`${name}${k[0]!.toUpperCase()}${k.slice(1)}`] = v;
      log(
        `${name}: ${s.rows} rows (${s.positives} positive), ROC-AUC ${s.rocAuc!.toFixed(4)}, PR-AUC ${s.prAuc!.toFixed(4)}, Brier ${s.brier!.toFixed(4)}`,
      );
    }
  }
  log(
    `trained ${m.version} on ${m.training.rows} rows (${m.training.positives} positive) in ${seconds.toFixed(1)} s; ` +
      `validation ROC-AUC ${m.metrics.validationRocAuc?.toFixed(4)}, Brier ${m.metrics.validationBrier?.toFixed(4)}, ` +
      `ECE ${m.metrics.validationEce?.toFixed(4)}`,
  );
  try {
    if (!opts.check) {
      const dir = path.join(out, m.version);
      await writeArtifact(dir, built);
      if (opts.candidate) log(`wrote ${dir} (a candidate: ${path.join(out, 'CURRENT')} unchanged)`);
      else {
        await writeCurrent(out, m.version);
        log(`wrote ${dir}; ${path.join(out, 'CURRENT')} → ${m.version}`);
      }
      return 0;
    }
    const committed = await readArtifact(root);
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
