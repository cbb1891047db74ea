/**
 * Training data from a deployment's own history: a long-format labelled file (the replay format
 * plus a `label` column, as `npm run export -w model` writes it) turned into network inputs by
 * replaying each deployment's rows through the same history tracker as replay and the healer, then
 * split by time and by deployment so that evaluation never sees rows adjacent to training rows:
 *
 * - 20 % of the deployments (by a stable hash of `namespace/name`, at least one when there are five
 *   or more) are held out entirely: the **grouped** test set;
 * - the other deployments' rows are split by time: the first 70 % train, the next 15 % calibrate
 *   (Platt scaling and the threshold), the last 15 % are the **time-split** test set, with a gap of
 *   `gapSeconds` (default 10 min: the label's 5-minute horizon and more) between the blocks.
 */
import { createHash } from 'node:crypto';
import { FEATURE_NAMES, FEATURES, type FeatureInput, type FeatureName } from '../schema.js';
import { FleetHistory } from '../features/tracker.js';
import { Derivation, N_INPUTS, derive } from '../features/derive.js';
import type { BaselineWindows } from '../features/windows.js';
import { readRow, type ReplayTable } from '../replay/csv.js';
import type { Dataset } from './dataset.js';

export interface LabelledData extends Dataset {
  /** Unix seconds per row. */
  t: Float64Array;
  /** Series (deployment) index per row. */
  group: Int32Array;
  series: { namespace: string; deployment: string }[];
}

const N = FEATURES.length;
const REQUIRED = FEATURES.map((f) => f.required);

/** Replays a labelled table through the history tracker; rows in time order. */
export function datasetFromTable(table: ReplayTable, windows?: BaselineWindows): LabelledData {
  if (!table.labels) throw new RangeError('the table has no labels');
  const fleet = new FleetHistory(windows);
  const order = Int32Array.from({ length: table.rows }, (_, i) => i).sort(
    (a, b) => (table.t[a] as number) - (table.t[b] as number) || a - b,
  );
  const x = new Float64Array(table.rows * N_INPUTS);
  const y = new Uint8Array(table.rows);
  const t = new Float64Array(table.rows);
  const group = new Int32Array(table.rows);
  const d = new Derivation();
  const present: Partial<Record<FeatureName, number>> = {};
  order.forEach((r, k) => {
    const s = table.seriesOf[r] as number;
    const { namespace, deployment } = table.series[s]!;
    const h = fleet.of(`${namespace}/${deployment}`);
    const time = table.t[r] as number;
    readRow(table, r, present);
    h.observe(time, present);
    const baseline = h.context(time);
    const row: Record<string, unknown> = { ...present, baseline };
    for (let f = 0; f < N; f++) {
      const name = FEATURE_NAMES[f] as FeatureName;
      if (row[name] === undefined && REQUIRED[f]) {
        row[name] =
          (baseline as Record<string, { p50?: number } | undefined>)[name]?.p50 ??
          FEATURES[f]!.default;
      }
    }
    derive(row as FeatureInput, d);
    x.set(d.x, k * N_INPUTS);
    y[k] = table.labels![r] as number;
    t[k] = time;
    group[k] = s;
  });
  return { x, y, rows: table.rows, t, group, series: table.series };
}

export interface SplitOptions {
  trainShare: number;
  validationShare: number;
  groupShare: number;
  gapSeconds: number;
}

export const DEFAULT_SPLIT: SplitOptions = {
  trainShare: 0.7,
  validationShare: 0.15,
  groupShare: 0.2,
  gapSeconds: 600,
};

export interface LabelledSplit {
  train: Dataset;
  validation: Dataset;
  testTime: Dataset;
  testGroup: Dataset;
  /** What went where, for the artifact metadata. */
  split: {
    heldOutDeployments: string[];
    trainUntil: string;
    validationFrom: string;
    validationUntil: string;
    testFrom: string;
    gapSeconds: number;
    rows: { train: number; validation: number; testTime: number; testGroup: number };
  };
}

/** The table could not be split into non-empty training and calibration sets. */
export class SplitError extends Error {
  override readonly name = 'SplitError';
}

function pick(d: LabelledData, keep: (i: number) => boolean): Dataset {
  const idx: number[] = [];
  for (let i = 0; i < d.rows; i++) if (keep(i)) idx.push(i);
  const x = new Float64Array(idx.length * N_INPUTS);
  const y = new Uint8Array(idx.length);
  const group = new Int32Array(idx.length);
  idx.forEach((src, k) => {
    x.set(d.x.subarray(src * N_INPUTS, (src + 1) * N_INPUTS), k * N_INPUTS);
    y[k] = d.y[src] as number;
    group[k] = d.group[src] as number;
  });
  return { x, y, rows: idx.length, group };
}

/** Splits by deployment and by time (see the module comment). */
export function splitByTimeAndGroup(
  d: LabelledData,
  opts: SplitOptions = DEFAULT_SPLIT,
): LabelledSplit {
  const keys = d.series.map((s) => `${s.namespace}/${s.deployment}`);
  const held = new Set<number>();
  if (keys.length >= 5) {
    const ranked = keys
      .map((k, i) => ({ i, h: createHash('sha256').update(k).digest('hex') }))
      .sort((a, b) => a.h.localeCompare(b.h));
    const n = Math.max(1, Math.round(keys.length * opts.groupShare));
    for (const r of ranked.slice(0, n)) held.add(r.i);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < d.rows; i++) {
    if (held.has(d.group[i] as number)) continue;
    lo = Math.min(lo, d.t[i] as number);
    hi = Math.max(hi, d.t[i] as number);
  }
  const span = hi - lo;
  const trainUntil = lo + span * opts.trainShare;
  const validationFrom = trainUntil + opts.gapSeconds;
  const validationUntil = lo + span * (opts.trainShare + opts.validationShare);
  const testFrom = validationUntil + opts.gapSeconds;
  const isHeld = (i: number): boolean => held.has(d.group[i] as number);
  const train = pick(d, (i) => !isHeld(i) && (d.t[i] as number) < trainUntil);
  const validation = pick(
    d,
    (i) =>
      !isHeld(i) && (d.t[i] as number) >= validationFrom && (d.t[i] as number) < validationUntil,
  );
  const testTime = pick(d, (i) => !isHeld(i) && (d.t[i] as number) >= testFrom);
  const testGroup = pick(d, isHeld);
  if (train.rows === 0 || validation.rows === 0) {
    throw new SplitError(
      `not enough history to split by time: ${train.rows} training and ${validation.rows} calibration rows ` +
        `(the file spans ${(span / 3600).toFixed(1)} h; blocks are separated by ${opts.gapSeconds} s)`,
    );
  }
  const iso = (s: number): string => new Date(s * 1000).toISOString();
  return {
    train,
    validation,
    testTime,
    testGroup,
    split: {
      heldOutDeployments: [...held].map((i) => keys[i] as string).sort(),
      trainUntil: iso(trainUntil),
      validationFrom: iso(validationFrom),
      validationUntil: iso(validationUntil),
      testFrom: iso(testFrom),
      gapSeconds: opts.gapSeconds,
      rows: {
        train: train.rows,
        validation: validation.rows,
        testTime: testTime.rows,
        testGroup: testGroup.rows,
      },
    },
  };
}
