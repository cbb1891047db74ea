/**
 * The answers' samples read into typed arrays indexed like the targets, as the bytes are parsed:
 * no answer string, no object per sample — a cycle at 10,000 deployments keeps 13 feature columns
 * instead of 130,000 sample objects. Then each deployment's feature samples are read from its
 * index in the columns (`samplesAt`), for `buildInstance`.
 */
import { FEATURE_NAMES, type FeatureName } from '@aiops/model/schema';
import type { AnswerReader } from './query.js';
import { targetKey, type Target } from './types.js';
import type { Sample } from './vector.js';

/** The labels that place a sample: its deployment. */
export const DEPLOYMENT_LABELS = ['namespace', 'deployment'] as const;

/** A sample's target index from its `namespace` and `deployment` labels' values (none: not ours). */
export type IndexOf = (labels: readonly (string | undefined)[]) => number | undefined;

/**
 * The index of each target by its labels. By namespace, then name: a lookup per series of every
 * answer (1.3 M per cold cycle at 10,000 deployments) hashes the two label strings as they are,
 * without building a key.
 */
export function indexTargets(targets: readonly Target[]): IndexOf {
  const index = new Map<string, Map<string, number>>();
  targets.forEach((t, i) => {
    let names = index.get(t.namespace);
    if (!names) index.set(t.namespace, (names = new Map()));
    names.set(t.name, i);
  });
  return (labels) => {
    const [namespace, deployment] = labels;
    return namespace === undefined || deployment === undefined
      ? undefined
      : index.get(namespace)?.get(deployment);
  };
}

/**
 * One feature's answer for every deployment, in arrays indexed like the targets.
 */
export interface FeatureColumn {
  value: Float64Array;
  /** ms since epoch of the evaluation; NaN: no series. */
  at: Float64Array;
  /** Deployments answered by several series (a template that does not aggregate). */
  duplicate?: Set<number>;
  failed?: string;
}

/** A column of `n` deployments without values (NaN: no value). */
export const emptyColumn = (n: number): Float64Array => new Float64Array(n).fill(Number.NaN);

/** A feature's query failed: every deployment's sample of it fails with `failed`. */
export const failedColumn = (failed: string): FeatureColumn => ({
  value: new Float64Array(0),
  at: new Float64Array(0),
  failed,
});

/** Reads a feature's answer into its column: each deployment's value and evaluation time. */
export function featureColumnReader(n: number, indexOf: IndexOf): AnswerReader<FeatureColumn> {
  const col: FeatureColumn = { value: emptyColumn(n), at: emptyColumn(n) };
  return {
    labels: DEPLOYMENT_LABELS,
    sample: (labels, at, value) => {
      const i = indexOf(labels);
      if (i === undefined) return;
      if (!Number.isNaN(col.at[i]!)) (col.duplicate ??= new Set()).add(i);
      col.value[i] = value;
      col.at[i] = at * 1000;
    },
    result: () => col,
  };
}

/** Reads a context query's answer (a baseline statistic, an SLO window): each deployment's value. */
export function contextColumnReader(n: number, indexOf: IndexOf): AnswerReader<Float64Array> {
  const values = emptyColumn(n);
  return {
    labels: DEPLOYMENT_LABELS,
    sample: (labels, _at, value) => {
      const i = indexOf(labels);
      if (i !== undefined) values[i] = value;
    },
    result: () => values,
  };
}

/**
 * Deployment i's sample of each feature from the columns: the feature's failure, `failed` when
 * several series answered for it, its value and time, or nothing (no series: missing).
 */
export function samplesAt(
  columns: ReadonlyMap<FeatureName, FeatureColumn>,
  i: number,
  target: Target,
): Map<FeatureName, Sample> {
  const samples = new Map<FeatureName, Sample>();
  for (const f of FEATURE_NAMES) {
    const col = columns.get(f)!;
    if (col.failed !== undefined) samples.set(f, { kind: 'failed', reason: col.failed });
    else if (col.duplicate?.has(i))
      samples.set(f, { kind: 'failed', reason: `several series for ${targetKey(target)}` });
    else if (!Number.isNaN(col.at[i]!))
      samples.set(f, { kind: 'value', value: col.value[i]!, at: col.at[i]! });
  }
  return samples;
}
