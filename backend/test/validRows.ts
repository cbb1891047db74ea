/** Valid rows of every kind for the backend's tests of the real model. */
import { FEATURES, type FeatureInput } from '@aiops/model';
import { Rng } from '@aiops/model/rng';
import { edgeRows, randomRow } from '@aiops/model/scoring/testRows';
import { compilePredictBody } from '../src/validate.js';

const parseRow = compilePredictBody(FEATURES, { batchLimit: 1 });

/**
 * The edge rows and `count` random rows (omitted optional features, baselines, SLO windows that
 * fire) as JSON carries them, keeping those the validator accepts.
 */
export function validRows(seed: number, count: number): FeatureInput[] {
  const rng = new Rng(seed);
  return [...edgeRows(), ...Array.from({ length: count }, () => randomRow(rng))]
    .map((r) => JSON.parse(JSON.stringify(r)) as FeatureInput)
    .filter((r) => {
      try {
        parseRow(r);
        return true;
      } catch {
        return false;
      }
    });
}
