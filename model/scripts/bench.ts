/**
 * Model benchmark: the Predictor's fast path (with explanations) for 1 and 10,000 rows, the tfjs
 * reference engine, and artifact load time. Writes bench/results/<date>-model.json at the repo root.
 *
 *   npm run bench -w model
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Predictor } from '../src/predictor.js';
import { FEATURES, type FeatureInput, type FeatureName } from '../src/schema.js';
import { Rng } from '../src/rng.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function randomRows(n: number, seed: number): FeatureInput[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const row: Partial<Record<FeatureName, number>> = {};
    for (const f of FEATURES) {
      row[f.name] =
        f.max - f.min > 100 ? rng.logUniform(1, Math.min(f.max, 1e9)) : rng.uniform(f.min, f.max);
    }
    return row as FeatureInput;
  });
}

/** Times `fn` in `rounds` rounds of `reps` calls; reports per-call statistics in microseconds. */
function measure(
  fn: () => void,
  reps: number,
  rounds: number,
): { medianUs: number; p95Us: number; minUs: number } {
  for (let i = 0; i < Math.max(3, rounds / 5); i++) for (let r = 0; r < reps; r++) fn(); // warm up the JIT
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1000 / reps);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
  return { medianUs: at(0.5), p95Us: at(0.95), minUs: at(0) };
}

const loadStart = performance.now();
const predictor = await Predictor.load();
const loadMs = performance.now() - loadStart;
const one = randomRows(1, 1);
const many = randomRows(10_000, 2);

const single = measure(() => predictor.predict(one), 1000, 200);
const batch = measure(() => predictor.predict(many), 1, 30);
// Short batches: their minimum is close to the uncontended cost even on a busy shared machine.
let offset = 0;
const perRow = measure(
  () => {
    predictor.predict(many.slice(offset, offset + 100));
    offset = (offset + 100) % many.length;
  },
  1,
  500,
);
const twoSteps = await Predictor.load({ explanationSteps: 2 });
const batchTwoSteps = measure(() => twoSteps.predict(many), 1, 30);
twoSteps.dispose();
const refRows = randomRows(1000, 3);
const refStart = performance.now();
for (let i = 0; i < 5; i++) await predictor.predictReference(refRows);
const referenceMsPer1000 = (performance.now() - refStart) / 5;

const result = {
  benchmark: 'model',
  date: new Date().toISOString(),
  model: predictor.version,
  backend: predictor.backendName,
  explanationSteps: predictor.metadata.explanation.steps,
  node: process.version,
  cpus: os.cpus().length,
  loadAverage1m: os.loadavg()[0],
  artifactLoadMs: loadMs,
  predictOneRowUs: single,
  predict10kRowsMs: {
    median: batch.medianUs / 1000,
    p95: batch.p95Us / 1000,
    min: batch.minUs / 1000,
  },
  predictPerRowInBatchesOf100Us: { median: perRow.medianUs / 100, min: perRow.minUs / 100 },
  predict10kRowsWith2ExplanationStepsMs: {
    median: batchTwoSteps.medianUs / 1000,
    min: batchTwoSteps.minUs / 1000,
  },
  referenceEngine1000RowsMs: referenceMsPer1000,
  budget: { predictOneRowUs: 20, predict10kRowsMs: 30 },
  withinBudget: single.medianUs < 20 && batch.medianUs / 1000 < 30,
  note: 'wall clock; loadAverage1m shows how busy the shared 2-core machine was, which inflates medians',
};
predictor.dispose();
const dir = path.join(ROOT, 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = path.join(dir, `${result.date.slice(0, 10)}-model.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(`wrote ${file}`);
