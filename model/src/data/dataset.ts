import { createHash } from 'node:crypto';
import { FEATURES } from '../schema.js';
import { Rng } from '../rng.js';
import { SCENARIOS, type ScenarioName, type Variant } from './scenarios.js';
import { simulateRun, type Run, type Sample } from './simulate.js';

/** A labelled design matrix in model input order. */
export interface Dataset {
  /** Row-major, FEATURES.length values per row (raw, untransformed). */
  x: Float64Array;
  y: Uint8Array;
  rows: number;
  /** Scenario of each row, when known (synthetic data), for per-scenario evaluation. */
  scenario?: ScenarioName[];
}

export interface GenerateOptions {
  seed: number;
  variant: Variant;
  runsPerScenario: number;
  scenarios?: readonly ScenarioName[];
}

/** Simulates `runsPerScenario` runs of every scenario; the same options give the same runs. */
export function generateRuns(opts: GenerateOptions): Run[] {
  const rng = new Rng(opts.seed);
  const runs: Run[] = [];
  for (const scenario of opts.scenarios ?? SCENARIOS) {
    for (let i = 0; i < opts.runsPerScenario; i++) {
      runs.push(simulateRun(scenario, opts.variant, rng.fork()));
    }
  }
  return runs;
}

/**
 * Flattens runs into a dataset. With `imputeFraction` > 0, that share of rows gets every optional
 * feature replaced by its schema default, as the Predictor does for clients that only send the
 * original seven, so the model learns to score such requests sensibly. With `forecastableOnly`,
 * positives whose fault has not begun yet are left out (see `Sample.forecastable`).
 */
export function runsToDataset(
  runs: readonly Run[],
  imputeFraction = 0,
  seed = 1,
  forecastableOnly = true,
): Dataset {
  const n = FEATURES.length;
  const keep = (s: Sample): boolean => !forecastableOnly || s.forecastable;
  const rows = runs.reduce((a, r) => a + r.samples.filter(keep).length, 0);
  const x = new Float64Array(rows * n);
  const y = new Uint8Array(rows);
  const scenario: ScenarioName[] = [];
  const rng = new Rng(seed);
  let k = 0;
  for (const run of runs) {
    for (const s of run.samples) {
      if (!keep(s)) continue;
      const impute = imputeFraction > 0 && rng.chance(imputeFraction);
      for (let i = 0; i < n; i++) {
        const spec = FEATURES[i] as (typeof FEATURES)[number];
        x[k * n + i] = impute && !spec.required ? spec.default : (s.features[i] as number);
      }
      y[k] = s.label;
      scenario.push(run.scenario);
      k++;
    }
  }
  return { x, y, rows, scenario };
}

/** A row of a dataset as a plain array. */
export function rowOf(d: Dataset, i: number): number[] {
  const n = FEATURES.length;
  return Array.from(d.x.subarray(i * n, (i + 1) * n));
}

/** SHA-256 of the values and labels: identifies the training data in the artifact metadata. */
export function datasetDigest(d: Dataset): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength));
  h.update(d.y);
  return h.digest('hex');
}
