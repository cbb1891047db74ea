import { createHash } from 'node:crypto';
import { FEATURES, type FeatureName } from '../schema.js';
import { Rng } from '../rng.js';
import { SCENARIOS, SCENARIO_WEIGHTS, type ScenarioName, type Variant } from './scenarios.js';
import { SLO, simulateRun, type Run, type Sample } from './simulate.js';

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
  /** Runs per scenario, times the scenario's weight in SCENARIO_WEIGHTS. */
  runsPerScenario: number;
  scenarios?: readonly ScenarioName[];
}

/** Simulates the runs of every scenario; the same options give the same runs. */
export function generateRuns(opts: GenerateOptions): Run[] {
  const rng = new Rng(opts.seed);
  const runs: Run[] = [];
  for (const scenario of opts.scenarios ?? SCENARIOS) {
    for (let i = 0; i < opts.runsPerScenario * SCENARIO_WEIGHTS[scenario]; i++) {
      runs.push(simulateRun(scenario, opts.variant, rng.fork()));
    }
  }
  return runs;
}

/**
 * Flattens runs into a dataset. With `imputeFraction` > 0, that share of rows gets every optional
 * feature replaced by its schema default, as the Predictor does for clients that only send the
 * original seven, so the model learns to score such requests sensibly. With `forecastableOnly`,
 * positives whose fault has not begun yet are left out (see `Sample.forecastable`). With
 * `breachAugmentFraction` > 0, that share of rows is pushed into breach (see `pushIntoBreach`).
 */
export function runsToDataset(
  runs: readonly Run[],
  imputeFraction = 0,
  seed = 1,
  forecastableOnly = true,
  breachAugmentFraction = 0,
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
      if (breachAugmentFraction > 0 && rng.chance(breachAugmentFraction)) {
        pushIntoBreach(x.subarray(k * n, (k + 1) * n), rng);
        y[k] = 1;
      }
      scenario.push(run.scenario);
      k++;
    }
  }
  return { x, y, rows, scenario };
}

const IDX = Object.fromEntries(FEATURES.map((f, i) => [f.name, i])) as Record<FeatureName, number>;

/**
 * Rule-consistent augmentation: moves one SLO signal of a row well past its SLO limit. Such a row
 * is in breach by definition, whatever its other features, so its label is 1. It teaches the
 * network that each SLO signal alone means risk, also in combinations the scenarios rarely produce.
 */
function pushIntoBreach(row: Float64Array, rng: Rng): void {
  switch (rng.int(0, 2)) {
    case 0:
      // Just past the limit counts too: the margin covers the generator's 5 % measurement noise.
      row[IDX.http_5xx_error_rate] = rng.logUniform(SLO.maxErrorRate * 1.06, 1);
      break;
    case 1:
      row[IDX.http_p95_latency_seconds] = rng.logUniform(SLO.maxP95LatencySeconds * 1.06, 30);
      break;
    default: {
      const ready = rng.uniform(0, SLO.minReadyRatio * 0.98);
      row[IDX.ready_replica_ratio] = ready;
      row[IDX.unavailable_replicas] = Math.max(
        row[IDX.unavailable_replicas] as number,
        rng.int(1, 6),
      );
    }
  }
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
