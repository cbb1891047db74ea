import { createHash } from 'node:crypto';
import { FEATURES, type FeatureInput } from '../schema.js';
import { Rng } from '../rng.js';
import { Derivation, N_INPUTS, derive } from '../features/derive.js';
import { SCENARIOS, SCENARIO_WEIGHTS, type ScenarioName, type Variant } from './scenarios.js';
import {
  DEFAULT_GENERATOR,
  simulateRun,
  type GeneratorOptions,
  type Run,
  type Sample,
} from './simulate.js';

/** A labelled design matrix of network inputs (derived, not yet standardised), in input order. */
export interface Dataset {
  /** Row-major, N_INPUTS values per row. */
  x: Float64Array;
  y: Uint8Array;
  rows: number;
  /** Scenario of each row, when known (synthetic data), for per-scenario evaluation. */
  scenario?: ScenarioName[];
  /** The group (run, or deployment) of each row: splits never cut a group. */
  group?: Int32Array;
}

export interface GenerateOptions {
  seed: number;
  variant: Variant;
  /** Runs per scenario, times the scenario's weight in SCENARIO_WEIGHTS. */
  runsPerScenario: number;
  scenarios?: readonly ScenarioName[];
  generator?: GeneratorOptions;
}

/** Simulates the runs of every scenario; the same options give the same runs. */
export function generateRuns(opts: GenerateOptions): Run[] {
  const rng = new Rng(opts.seed);
  const runs: Run[] = [];
  for (const scenario of opts.scenarios ?? SCENARIOS) {
    for (let i = 0; i < opts.runsPerScenario * SCENARIO_WEIGHTS[scenario]; i++) {
      runs.push(
        simulateRun(scenario, opts.variant, rng.fork(), opts.generator ?? DEFAULT_GENERATOR),
      );
    }
  }
  return runs;
}

export interface Augmentation {
  /** Share of rows whose optional features are all omitted (imputed as the Predictor does). */
  imputeFraction: number;
  /**
   * Chance that each optional feature of a row is omitted on its own: clusters lack one metric or
   * another (no CFS throttling counters, no latency histogram), and the model must read each
   * signal without leaning on another.
   */
  dropFeatureFraction: number;
  /** Share of rows sent without any baseline context (the original 7-field body and more). */
  noContextFraction: number;
  /** Share of rows pushed past an absolute SLO limit and labelled 1 (see `pushIntoBreach`). */
  breachAugmentFraction: number;
}

export const NO_AUGMENTATION: Augmentation = {
  imputeFraction: 0,
  dropFeatureFraction: 0,
  noContextFraction: 0,
  breachAugmentFraction: 0,
};

const OPTIONAL = FEATURES.filter((f) => !f.required).map((f) => f.name);

/**
 * Flattens runs into network inputs. Positives whose fault has not begun yet are left out when
 * `forecastableOnly` (see `Sample.forecastable`).
 */
export function runsToDataset(
  runs: readonly Run[],
  aug: Augmentation = NO_AUGMENTATION,
  seed = 1,
  forecastableOnly = true,
): Dataset {
  const keep = (s: Sample): boolean => !forecastableOnly || s.forecastable;
  const rows = runs.reduce((a, r) => a + r.samples.filter(keep).length, 0);
  const x = new Float64Array(rows * N_INPUTS);
  const y = new Uint8Array(rows);
  const group = new Int32Array(rows);
  const scenario: ScenarioName[] = [];
  const rng = new Rng(seed);
  const d = new Derivation();
  let k = 0;
  runs.forEach((run, runIndex) => {
    for (const s of run.samples) {
      if (!keep(s)) continue;
      let row: FeatureInput = s.row;
      let label = s.label;
      if (aug.imputeFraction > 0 && rng.chance(aug.imputeFraction)) {
        row = { ...row };
        for (const name of OPTIONAL) delete (row as Record<string, unknown>)[name];
      } else if (aug.dropFeatureFraction > 0) {
        for (const name of OPTIONAL) {
          if (name !== 'replicas' && rng.chance(aug.dropFeatureFraction)) {
            if (row === s.row) row = { ...row };
            delete (row as Record<string, unknown>)[name];
          }
        }
      }
      if (aug.noContextFraction > 0 && rng.chance(aug.noContextFraction)) {
        row = { ...row };
        delete row.baseline;
      }
      if (aug.breachAugmentFraction > 0 && rng.chance(aug.breachAugmentFraction)) {
        row = pushIntoBreach(row, rng);
        label = 1;
      }
      derive(row, d);
      x.set(d.x, k * N_INPUTS);
      y[k] = label;
      group[k] = runIndex;
      scenario.push(run.scenario);
      k++;
    }
  });
  return { x, y, rows, scenario, group };
}

/**
 * Rule-consistent augmentation: moves one absolute SLO signal of a row well past any SLO — at
 * least 6 % errors, or fewer than half of the pods ready. Such a row is failing by definition,
 * whatever its other features, so its label is 1: the network learns that each alone is risk, also
 * in combinations the scenarios rarely produce (half the pods unready on an idle service).
 */
function pushIntoBreach(row: FeatureInput, rng: Rng): FeatureInput {
  const out = { ...row };
  if (rng.chance(0.5)) {
    out.http_5xx_error_rate = rng.logUniform(0.06, 1);
  } else {
    const ready = rng.uniform(0, 0.49);
    out.ready_replica_ratio = ready;
    const replicas = out.replicas ?? 1;
    out.unavailable_replicas = Math.max(
      out.unavailable_replicas,
      Math.ceil((1 - ready) * replicas),
    );
  }
  return out;
}

/** SHA-256 of the values and labels: identifies the training data in the artifact metadata. */
export function datasetDigest(d: Dataset): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(d.x.buffer, d.x.byteOffset, d.x.byteLength));
  h.update(d.y);
  return h.digest('hex');
}

/** Rows `keep(i)` of a dataset, in order. */
export function subset(d: Dataset, keep: (i: number) => boolean): Dataset {
  const idx: number[] = [];
  for (let i = 0; i < d.rows; i++) if (keep(i)) idx.push(i);
  const x = new Float64Array(idx.length * N_INPUTS);
  const y = new Uint8Array(idx.length);
  const group = new Int32Array(idx.length);
  const scenario: ScenarioName[] = [];
  idx.forEach((src, k) => {
    x.set(d.x.subarray(src * N_INPUTS, (src + 1) * N_INPUTS), k * N_INPUTS);
    y[k] = d.y[src] as number;
    group[k] = d.group ? (d.group[src] as number) : 0;
    if (d.scenario) scenario.push(d.scenario[src] as ScenarioName);
  });
  return d.scenario
    ? { x, y, rows: idx.length, group, scenario }
    : { x, y, rows: idx.length, group };
}
