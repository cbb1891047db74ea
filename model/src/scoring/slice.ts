/**
 * A slice of a batch scored apart — on another thread — and written as its part of the answer.
 *
 * `encodeSlice` packs rows start … end−1 into typed arrays (which move between threads without
 * a copy, where row objects would be cloned one property at a time); `decodeSlice` turns them
 * back into the rows and baseline columns the scorer reads; `scoreSlice` scores them and writes
 * its part of the answer (column segments, or the rows' JSON objects) and each row's level. The
 * caller joins the parts (`joinColumnSegments`). Every slice goes through the same `Scorer`, one
 * row at a time, so the joined answer is the bytes the whole batch scored at once gives (tests).
 */
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  FEATURES,
  RISK_LEVELS,
  riskLevel,
  type FeatureInput,
  type RiskLevel,
  type SloInput,
} from '../schema.js';
import type { BaselineColumns } from '../features/derive.js';
import type { Scorer } from './scorer.js';
import { JsonBytes } from './jsonBytes.js';
import { writeColumnSegments, type ColumnSegments } from './columns.js';

const NAMES = FEATURES.map((f) => f.name);
const N_FEATURES = NAMES.length;
const N_SIGNALS = BASELINE_FEATURES.length;
const N_STATS = BASELINE_STATS.length;
const LEVEL_CODE = Object.fromEntries(RISK_LEVELS.map((l, i) => [l, i])) as Record<
  RiskLevel,
  number
>;
/** `SliceAnswer.marks`: the row's level is `RISK_LEVELS[mark & LEVEL_BITS]`; INCONCLUSIVE set if so. */
export const LEVEL_BITS = 0x0f;
export const INCONCLUSIVE = 0x80;

/** Rows of a batch as typed arrays: what a scoring thread receives. */
export interface SliceJob {
  rows: number;
  /** Feature f of row r at `features[f * rows + r]` (schema order); NaN where the row omits it. */
  features: Float64Array;
  /**
   * Statistic s of signal k of row r at `baseline[(k * N_STATS + s) * rows + r]`
   * (BASELINE_FEATURES × BASELINE_STATS order); NaN where not sent. Absent: no row has one.
   */
  baseline?: Float64Array;
  /** Each row's `slo` (null where it has none). Absent: no row has one. */
  slo?: (SloInput | null)[];
  /** How many contributions per row (undefined: all). */
  explain: number | undefined;
  /** The answer's form: column segments, or the rows' prediction objects as JSON. */
  format: 'columns' | 'objects';
}

/** A slice's part of the answer. */
export interface SliceAnswer {
  /** `columns`: each column's entries (`ColumnSegments`); `objects`: the rows' JSON, comma-separated. */
  bytes: Uint8Array;
  /** `columns`: where each column ends in `bytes`; `objects`: one entry, the length. */
  ends: Int32Array;
  /** Per row: its level's index in RISK_LEVELS, with INCONCLUSIVE set where it is (for metrics). */
  marks: Uint8Array;
}

/**
 * The buffers of a job or answer, to transfer rather than copy between threads. A view that
 * does not own its whole buffer (a Buffer cut from Node's shared pool) is copied instead:
 * transferring the pool would detach every other Buffer in it. `detached` gives such a view
 * a buffer of its own first.
 */
export function transferablesOf(x: SliceJob | SliceAnswer): ArrayBuffer[] {
  const views =
    'marks' in x
      ? [x.bytes, x.ends, x.marks]
      : x.baseline
        ? [x.features, x.baseline]
        : [x.features];
  return views.filter(ownsBuffer).map((v) => v.buffer as ArrayBuffer);
}

const ownsBuffer = (v: ArrayBufferView): boolean =>
  v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;

/** `bytes` with a buffer of exactly its own (a copy only when it is a view into a larger one). */
export function detached(bytes: Uint8Array): Uint8Array {
  return ownsBuffer(bytes) ? bytes : new Uint8Array(bytes);
}

/**
 * Rows start … end−1 (with row r's baseline from `cols` when given, else from `row.baseline`)
 * as a job. The rows are valid (the caller validated them): a value is a finite number or absent.
 */
export function encodeSlice(
  rows: readonly FeatureInput[],
  start: number,
  end: number,
  opts: { cols?: BaselineColumns; explain: number | undefined; format: 'columns' | 'objects' },
): SliceJob {
  const n = end - start;
  const features = new Float64Array(N_FEATURES * n);
  let anyBaseline = opts.cols !== undefined;
  let anySlo = false;
  for (let f = 0; f < N_FEATURES; f++) {
    const name = NAMES[f]!;
    const at = f * n;
    for (let r = 0; r < n; r++) {
      const v = (rows[start + r] as Record<string, unknown>)[name];
      features[at + r] = typeof v === 'number' ? v : NaN;
    }
  }
  for (let r = start; r < end; r++) {
    const row = rows[r] as FeatureInput;
    if (row.baseline !== undefined) anyBaseline = true;
    if (row.slo !== undefined && row.slo !== null) anySlo = true;
  }
  const job: SliceJob = { rows: n, features, explain: opts.explain, format: opts.format };
  if (anyBaseline) job.baseline = encodeBaseline(rows, start, end, opts.cols);
  if (anySlo) job.slo = rows.slice(start, end).map((row) => row.slo ?? null);
  return job;
}

function encodeBaseline(
  rows: readonly FeatureInput[],
  start: number,
  end: number,
  cols: BaselineColumns | undefined,
): Float64Array {
  const n = end - start;
  const out = new Float64Array(N_SIGNALS * N_STATS * n).fill(NaN);
  for (let k = 0; k < N_SIGNALS; k++) {
    for (let s = 0; s < N_STATS; s++) {
      const at = (k * N_STATS + s) * n;
      if (cols !== undefined) {
        const c = cols.stats[k]?.[s];
        if (c === undefined) continue;
        for (let r = 0; r < n; r++) {
          const v = c[start + r];
          if (typeof v === 'number') out[at + r] = v;
        }
        continue;
      }
      const signal = BASELINE_FEATURES[k]!;
      const stat = BASELINE_STATS[s]!;
      for (let r = 0; r < n; r++) {
        const v = (rows[start + r] as FeatureInput).baseline?.[signal]?.[stat];
        if (typeof v === 'number') out[at + r] = v;
      }
    }
  }
  return out;
}

/** The rows (without baselines) and the baseline columns of a job, as the scorer reads them. */
export function decodeSlice(job: SliceJob): {
  rows: FeatureInput[];
  cols: BaselineColumns | undefined;
} {
  const n = job.rows;
  const { features, baseline, slo } = job;
  const rows: FeatureInput[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const row: Record<string, unknown> = {};
    for (let f = 0; f < N_FEATURES; f++) {
      const v = features[f * n + r] as number;
      if (v === v) row[NAMES[f]!] = v;
    }
    const s = slo?.[r];
    if (s !== undefined && s !== null) row.slo = s;
    rows[r] = row as unknown as FeatureInput;
  }
  if (baseline === undefined) return { rows, cols: undefined };
  const stats = BASELINE_FEATURES.map((_, k) =>
    BASELINE_STATS.map((_s, s) =>
      baseline.subarray((k * N_STATS + s) * n, (k * N_STATS + s + 1) * n),
    ),
  );
  return { rows, cols: { stats } };
}

/** Scores a job's rows and writes their part of the answer (see `SliceAnswer`). */
export function scoreSlice(scorer: Scorer, job: SliceJob): SliceAnswer {
  const { rows, cols } = decodeSlice(job);
  return scoreRows(scorer, rows, cols, job.explain, job.format);
}

/** `scoreSlice` of rows already in hand (the calling thread's own slice: no encoding). */
export function scoreRows(
  scorer: Scorer,
  rows: readonly FeatureInput[],
  cols: BaselineColumns | undefined,
  explain: number | undefined,
  format: 'columns' | 'objects',
): SliceAnswer {
  const scored = scorer.score(rows, cols === undefined ? { explain } : { explain, baseline: cols });
  const n = scored.length;
  const marks = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    marks[r] =
      LEVEL_CODE[riskLevel(scored.risk(r))] |
      (scored.inconclusive(r) === undefined ? 0 : INCONCLUSIVE);
  }
  let part: ColumnSegments;
  if (format === 'columns') part = writeColumnSegments(scored);
  else {
    const out = new JsonBytes(n * 2048 + 64);
    for (let r = 0; r < n; r++) {
      if (r > 0) out.char(0x2c);
      scored.writeJson(out, r);
    }
    part = { bytes: out.bytes(), ends: Int32Array.of(out.length) };
  }
  return { bytes: part.bytes, ends: part.ends, marks };
}
