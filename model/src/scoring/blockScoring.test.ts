/**
 * A batch scored a block of rows at a time (the network's pre-activations for the whole block,
 * distinct references shared) against the same batch scored row by row, and a batch read in
 * place from its columns (`RowColumns`) against the same rows as objects: every number of the
 * ScoredBatch bit for bit, the same verdicts, and the same answer bytes. Random and edge rows:
 * omitted features, baselines as objects and as columns with nulls, SLO windows, abstentions,
 * runs of rows without a baseline (which share their reference) broken by rows with one, and
 * batches that end mid-block.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Predictor } from '../predictor.js';
import { Rng } from '../rng.js';
import { FEATURES, type FeatureInput } from '../schema.js';
import { writeColumns } from './columns.js';
import {
  baselineColumnsOf,
  columnarRequestOf,
  rowColumnsOf,
  rowsOfColumnarRequest,
} from './requestColumns.js';
import { PredictInputError, Scorer, scorerSpecOf, type PredictOptions } from './scorer.js';
import type { ScoredBatch } from './scoredBatch.js';
import { edgeRows, randomRow } from './testRows.js';

let predictor: Predictor;
let rowByRow: Scorer;
const blocked = new Map<number, Scorer>();
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
  const spec = scorerSpecOf(predictor.metadata, predictor.scorer.mlp.weights);
  rowByRow = new Scorer({ ...spec, blockRows: 0 });
  for (const blockRows of [4, 8, 256]) blocked.set(blockRows, new Scorer({ ...spec, blockRows }));
});
afterAll(() => predictor.dispose());

const rng = new Rng(14);
const bare = (row: FeatureInput): FeatureInput => {
  const { baseline: _b, slo: _s, ...rest } = row;
  return rest as FeatureInput;
};
/** Random rows, runs of them without a baseline, the edge rows; 613 rows: blocks end mid-way. */
const ROWS: FeatureInput[] = [
  ...edgeRows(),
  ...Array.from({ length: 300 }, () => randomRow(rng)),
  ...Array.from({ length: 200 }, () => bare(randomRow(rng))),
  ...Array.from({ length: 95 }, (_, i) => (i % 7 === 0 ? randomRow(rng) : bare(randomRow(rng)))),
  ...edgeRows(),
].map((r) => JSON.parse(JSON.stringify(r)) as FeatureInput);

/** Throws, naming the row and the slot, where the two batches differ in any bit. */
function expectSame(block: ScoredBatch, rows: ScoredBatch): void {
  expect(block.length).toBe(rows.length);
  for (let i = 0; i < rows.numbers.length; i++) {
    if (!Object.is(block.numbers[i], rows.numbers[i])) {
      throw new Error(`number ${i}: ${block.numbers[i]} vs row by row ${rows.numbers[i]}`);
    }
  }
  expect(Buffer.from(block.bytes).equals(Buffer.from(rows.bytes))).toBe(true);
  expect(block.abstained).toEqual(rows.abstained);
  expect(block.slo).toEqual(rows.slo);
  for (let r = 0; r < rows.length; r++) {
    expect(block.ownNormalVerdict(r)).toEqual(rows.ownNormalVerdict(r));
  }
  expect(writeColumns(block).equals(writeColumns(rows))).toBe(true);
}

describe('a batch scored a block at a time', () => {
  it('covers what it claims: abstentions, both deterministic layers, shared and own references', () => {
    const scored = rowByRow.score(ROWS);
    const layers = new Set(ROWS.map((_, r) => scored.layer(r)));
    expect(layers).toEqual(new Set(['model', 'slo', 'own_normal']));
    expect(ROWS.some((_, r) => scored.inconclusive(r) !== undefined)).toBe(true);
    expect(ROWS.filter((row) => row.baseline === undefined).length).toBeGreaterThan(250);
    expect(ROWS.filter((row) => row.baseline !== undefined).length).toBeGreaterThan(150);
    expect(ROWS.some((row) => Object.keys(row).length < 14)).toBe(true);
  });

  it.each([
    [256, undefined],
    [256, 3],
    [256, 1],
    [256, 0],
    [8, undefined],
    [4, 3],
    [4, 0],
  ])('block of %p rows, explain %p: every number and byte as row by row', (blockRows, explain) => {
    const opts: PredictOptions = explain === undefined ? {} : { explain };
    expectSame(blocked.get(blockRows)!.score(ROWS, opts), rowByRow.score(ROWS, opts));
  });

  it.each([1, 15, 16, 17, 255, 256, 257, 613])(
    'the first %p rows (below, at and past the block size): as row by row',
    (n) => {
      const rows = ROWS.slice(0, n);
      expectSame(blocked.get(256)!.score(rows), rowByRow.score(rows));
    },
  );

  it('baselines as columns, with nulls where a row has none: as row by row', () => {
    const req = columnarRequestOf(ROWS);
    const rows = rowsOfColumnarRequest(req, ROWS.length);
    const baseline = baselineColumnsOf(req.baseline);
    expect(baseline).toBeDefined();
    expect(
      baseline!.stats.some((s) => s?.some((c) => c !== undefined && Array.from(c).includes(null))),
    ).toBe(true);
    for (const explain of [undefined, 3, 0]) {
      const opts: PredictOptions = {
        baseline: baseline!,
        ...(explain === undefined ? {} : { explain }),
      };
      const block = blocked.get(256)!.score(rows, opts);
      expectSame(block, rowByRow.score(rows, opts));
      // And the same as the rows with their baseline objects.
      expect(writeColumns(block).equals(writeColumns(rowByRow.score(ROWS, { explain })))).toBe(
        true,
      );
    }
  });

  it('refuses a block size that is not a multiple of 4', () => {
    const spec = scorerSpecOf(predictor.metadata, predictor.scorer.mlp.weights);
    expect(() => new Scorer({ ...spec, blockRows: 6 })).toThrow(/multiple of 4/);
    expect(() => new Scorer({ ...spec, blockRows: -4 })).toThrow(/multiple of 4/);
  });
});

describe('a batch read in place from its columns', () => {
  const req = columnarRequestOf(ROWS);
  const columns = rowColumnsOf(req, ROWS.length);
  const baseline = baselineColumnsOf(req.baseline)!;

  it('covers omitted features (NaN cells and columns not sent) and SLOs', () => {
    expect(columns.features.some((c) => c !== undefined && c.some((v) => Number.isNaN(v)))).toBe(
      true,
    );
    expect(columns.slo).toBeDefined();
  });

  it('columns not sent (rows with the required features only): as the row objects', () => {
    const required = new Set<string>(FEATURES.filter((f) => f.required).map((f) => f.name));
    const rows = ROWS.slice(0, 40).map(
      (row) =>
        Object.fromEntries(
          Object.entries(bare(row)).filter(([k]) => required.has(k)),
        ) as FeatureInput,
    );
    const cols = rowColumnsOf(columnarRequestOf(rows), rows.length);
    expect(cols.features.filter((c) => c === undefined)).toHaveLength(FEATURES.length - 7);
    expectSame(blocked.get(256)!.score(cols), blocked.get(256)!.score(rows));
  });

  it.each([
    [256, undefined],
    [256, 3],
    [256, 0],
    [0, undefined],
    [0, 1],
  ])('block of %p rows (0: row by row), explain %p: as the row objects', (blockRows, explain) => {
    const scorer = blockRows === 0 ? rowByRow : blocked.get(blockRows)!;
    const opts: PredictOptions = { baseline, ...(explain === undefined ? {} : { explain }) };
    const rows = rowsOfColumnarRequest(req, ROWS.length);
    expectSame(scorer.score(columns, opts), scorer.score(rows, opts));
  });

  it.each([1, 15, 16, 17, 300])('the first %p rows, without baselines: as the row objects', (n) => {
    const some = ROWS.slice(0, n).map(bare);
    const cols = rowColumnsOf(columnarRequestOf(some), n);
    expectSame(blocked.get(256)!.score(cols), blocked.get(256)!.score(some));
  });

  it('rejects what the row objects reject: a missing required value, a value not finite', () => {
    const rows = ROWS.slice(0, 20).map(bare);
    const missing = rowColumnsOf(columnarRequestOf(rows), 20);
    missing.features[1]![17] = NaN; // cpu_usage_pct, required
    const infinite = rowColumnsOf(columnarRequestOf(rows), 20);
    infinite.features[2]![3] = Infinity;
    for (const [cols, row, reason] of [
      [missing, 17, /cpu_usage_pct is required/],
      [infinite, 3, /memory_usage_bytes must be a finite number, got Infinity/],
    ] as const) {
      let err: unknown;
      try {
        blocked.get(256)!.score(cols);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PredictInputError);
      expect((err as PredictInputError).row).toBe(row);
      expect((err as PredictInputError).message).toMatch(reason);
    }
  });
});

describe('a batch scored into the scorer’s reused arrays (`reuse`)', () => {
  it('is the batch scored into new arrays, whatever the batches scored into them before', () => {
    const spec = scorerSpecOf(predictor.metadata, predictor.scorer.mlp.weights);
    const reusing = new Scorer({ ...spec, blockRows: 256 });
    // Larger, then smaller and with fewer contributions (slots a fresh batch leaves at zero),
    // then larger than any before (the arrays grow), row by row and a block at a time.
    for (const [n, explain] of [
      [613, undefined],
      [300, 0],
      [17, 3],
      [1, undefined],
      [613, 0],
    ] as const) {
      const rows = ROWS.slice(0, n);
      const opts: PredictOptions = explain === undefined ? {} : { explain };
      const reused = reusing.score(rows, { ...opts, reuse: true });
      expect(reused.numbers.length).toBe(rowByRow.score(rows, opts).numbers.length);
      expectSame(reused, rowByRow.score(rows, opts));
    }
  });

  it('writes into the same arrays each time, and into new ones without `reuse`', () => {
    const scorer = blocked.get(256)!;
    const first = scorer.score(ROWS, { reuse: true });
    const second = scorer.score(ROWS.slice(0, 40), { reuse: true });
    expect(second.numbers.buffer).toBe(first.numbers.buffer);
    expect(second.bytes.buffer).toBe(first.bytes.buffer);
    expect(scorer.score(ROWS.slice(0, 40)).numbers.buffer).not.toBe(first.numbers.buffer);
  });
});
