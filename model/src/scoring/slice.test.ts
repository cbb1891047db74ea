/**
 * A batch cut into slices, each encoded as typed arrays, decoded, scored and written apart, then
 * joined: the same bytes as the whole batch scored and written at once, whatever the cuts, for
 * rows with and without baselines (objects or columns), SLOs, omitted features and explanations.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Predictor } from '../predictor.js';
import { Rng } from '../rng.js';
import type { FeatureInput } from '../schema.js';
import { joinColumnSegments, writeColumns } from './columns.js';
import { baselineColumnsOf, columnarRequestOf, rowsOfColumnarRequest } from './requestColumns.js';
import {
  INCONCLUSIVE,
  LEVEL_BITS,
  decodeSlice,
  encodeSlice,
  scoreRows,
  scoreSlice,
  type SliceAnswer,
} from './slice.js';
import { edgeRows, randomRow } from './testRows.js';
import { BASELINE_FEATURES, BASELINE_STATS, RISK_LEVELS } from '../schema.js';

let predictor: Predictor;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

const rng = new Rng(6);
const ROWS: FeatureInput[] = [
  ...edgeRows(),
  ...Array.from({ length: 400 }, () => randomRow(rng)),
].map((r) => JSON.parse(JSON.stringify(r)) as FeatureInput);

/** The rows cut at `cuts`, every slice through encode → decode → score → write. */
function sliced(
  rows: readonly FeatureInput[],
  cuts: readonly number[],
  explain: number | undefined,
  format: 'columns' | 'objects',
  cols?: ReturnType<typeof baselineColumnsOf>,
): SliceAnswer[] {
  const bounds = [0, ...cuts, rows.length];
  return bounds
    .slice(1)
    .map((end, i) =>
      scoreSlice(predictor.scorer, encodeSlice(rows, bounds[i]!, end, { cols, explain, format })),
    );
}

describe('slices joined', () => {
  it.each([
    [[1], undefined],
    [[200], undefined],
    [[ROWS.length - 1], 3],
    [[50, 51, 300], 0],
    [[100, 200, 300], undefined],
  ])('cut at %p, explain %p: the columnar answer of the whole batch', (cuts, explain) => {
    const whole = writeColumns(predictor.score(ROWS, { explain }), ',"x":1');
    const parts = sliced(ROWS, cuts, explain, 'columns');
    expect(joinColumnSegments(predictor.version, predictor.threshold, parts, ',"x":1')).toEqual(
      whole,
    );
  });

  it('baselines sent as columns: the same answer as the rows with their baseline objects', () => {
    const req = columnarRequestOf(ROWS);
    const rows = rowsOfColumnarRequest(req, ROWS.length);
    const cols = baselineColumnsOf(req.baseline);
    expect(cols).toBeDefined();
    const whole = writeColumns(predictor.score(ROWS));
    const parts = sliced(rows, [137], undefined, 'columns', cols);
    expect(joinColumnSegments(predictor.version, predictor.threshold, parts)).toEqual(whole);
  });

  it('objects: the rows JSON, comma-separated, as the whole batch writes them', () => {
    const scored = predictor.score(ROWS, { explain: 4 });
    const want = Array.from({ length: ROWS.length }, (_, r) => scored.json(r)).join(',');
    const parts = sliced(ROWS, [99], 4, 'objects');
    expect(parts.map((p) => Buffer.from(p.bytes.subarray(0, p.ends[0])).toString()).join(',')).toBe(
      want,
    );
  });

  it("marks each row's level and abstention", () => {
    const scored = predictor.score(ROWS);
    const own = scoreRows(predictor.scorer, ROWS, undefined, undefined, 'columns');
    for (let r = 0; r < ROWS.length; r++) {
      expect(RISK_LEVELS[own.marks[r]! & LEVEL_BITS]).toBe(scored.level(r));
      expect((own.marks[r]! & INCONCLUSIVE) !== 0).toBe(scored.inconclusive(r) !== undefined);
    }
    expect(own.marks.some((m) => (m & INCONCLUSIVE) !== 0)).toBe(true);
  });

  it('decodes what it encoded: features (omitted ones stay omitted), baselines, SLOs', () => {
    const rows = ROWS.slice(0, 60);
    const { rows: back, cols } = decodeSlice(
      encodeSlice(rows, 0, rows.length, { explain: undefined, format: 'columns' }),
    );
    expect(rows.some((r) => r.baseline !== undefined && r.slo !== undefined)).toBe(true);
    for (let r = 0; r < rows.length; r++) {
      const { baseline, ...rest } = rows[r]!;
      expect(back[r]).toEqual(rest);
      BASELINE_FEATURES.forEach((signal, k) =>
        BASELINE_STATS.forEach((stat, s) =>
          expect(cols!.stats[k]![s]![r]).toBe(baseline?.[signal]?.[stat] ?? NaN),
        ),
      );
    }
  });
});
