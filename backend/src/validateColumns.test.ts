import { describe, expect, it } from '@jest/globals';
import {
  CRASH_LOOP_EXAMPLE,
  FEATURES,
  ORIGINAL_HEALTHY_EXAMPLE,
  columnarRequestOf,
  withBaselines,
  type ColumnarPredictRequest,
  type FeatureInput,
} from '@aiops/model';
import { Rng } from '@aiops/model/rng';
import { edgeRows, randomRow } from '@aiops/model/scoring/testRows';
import { InputError, type ErrorDetail } from './errors.js';
import { compilePredictBody } from './validate.js';
import { compileCellCheck } from './validateColumns.js';

const parse = compilePredictBody(FEATURES, { batchLimit: 5 });
const parseLarge = compilePredictBody(FEATURES, { batchLimit: 10_000 });
const healthy = ORIGINAL_HEALTHY_EXAMPLE;
/** The columnar body of `rows`, as JSON would deliver it. */
const columnar = (rows: FeatureInput[]): Record<string, unknown> =>
  JSON.parse(JSON.stringify(columnarRequestOf(rows))) as Record<string, unknown>;

function detailsOf(body: unknown): ErrorDetail[] {
  try {
    parse(JSON.parse(JSON.stringify(body)));
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return [...(err as InputError).details!];
  }
  throw new Error('expected an InputError');
}
const brief = (d: ErrorDetail[]): [string, string][] => d.map((x) => [x.field, x.rule]);

describe('the columnar request body', () => {
  it('stands for the same rows as the row form (random and edge rows, baselines, SLOs)', () => {
    const rng = new Rng(7);
    const valid = (row: FeatureInput): boolean => {
      try {
        parseLarge(JSON.parse(JSON.stringify(row)));
        return true;
      } catch {
        return false;
      }
    };
    const all = [...edgeRows(), ...Array.from({ length: 3_000 }, () => randomRow(rng))];
    const rows = all.filter(valid);
    expect(rows.length).toBeGreaterThan(1_000);
    const want = parseLarge(JSON.parse(JSON.stringify({ instances: rows })));
    const got = parseLarge(columnar(rows));
    expect(got.kind).toBe('batch');
    expect(want.kind).toBe('batch');
    if (got.kind !== 'batch' || want.kind !== 'batch') return;
    // Equal up to empty baseline objects, which the row form may carry and the columns cannot.
    const tidy = (r: FeatureInput): unknown => {
      const { baseline, ...rest } = r;
      const kept = Object.entries(baseline ?? {}).filter(([, s]) => Object.keys(s).length > 0);
      return kept.length > 0 ? { ...rest, baseline: Object.fromEntries(kept) } : rest;
    };
    // The baselines come as columns (scored in place); as objects they are the same.
    expect(got.baseline).toBeDefined();
    expect(withBaselines(got.rows, got.baseline).map(tidy)).toEqual(want.rows.map(tidy));
  });

  it('judges a row in its columns (no rows built) exactly as the row validator judges it', () => {
    const rng = new Rng(11);
    // Random and edge rows, one cell broken in most: out of range, fractional counts, strings,
    // booleans, null where required, 1e999, bad SLOs. (Null where optional is no break: in a
    // column it stands for a row that omits the feature.)
    const breaks: ((row: Record<string, unknown>) => void)[] = [
      () => undefined,
      (row) => (row.cpu_usage_pct = -1),
      (row) => (row.ready_replica_ratio = 1.5),
      (row) => (row.restart_count_last_5m = 0.5),
      (row) => (row.replicas = 2.5),
      (row) => (row.http_p95_latency_seconds = '0.2'),
      (row) => (row.memory_usage_bytes = true),
      (row) => (row.http_5xx_error_rate = null),
      (row) => (row.unavailable_replicas = Infinity),
      (row) => (row.slo = { availability: 2 }),
      (row) => (row.slo = { windows: { '5m': { error_ratio: 0.1, requests: -1 } } }),
      (row) => (row.slo = 'x'),
    ];
    const rows = [...edgeRows(), ...Array.from({ length: 600 }, () => randomRow(rng))].map(
      (row, i) => {
        const copy = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
        breaks[i % breaks.length]!(copy);
        return JSON.parse(JSON.stringify(copy)) as FeatureInput;
      },
    );
    const accepts = (body: unknown): boolean => {
      try {
        parseLarge(body);
        return true;
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return false;
      }
    };
    const cellsValid = compileCellCheck(FEATURES, {
      isValidSlo: (slo) => accepts({ ...healthy, slo }),
    });
    let valid = 0;
    for (const row of rows) {
      const want = accepts({ instances: [row] });
      const body = columnar([row]) as unknown as ColumnarPredictRequest;
      // The cells are the features and the SLO (the baselines are checked in their columns).
      const { baseline: _, ...features } = row;
      const cellsWant = accepts({ instances: [features] });
      expect([row, cellsValid(body, 1), accepts(body)]).toEqual([row, cellsWant, want]);
      if (want) valid++;
    }
    expect(valid).toBeGreaterThan(50);
    expect(valid).toBeLessThan(rows.length - 200);
    // A valid body carries its columns for the scorer; its rows are the same as the row form's.
    const good = rows.filter((row) => accepts({ instances: [row] }));
    const got = parseLarge(columnar(good));
    if (got.kind !== 'batch') throw new Error('expected a batch');
    expect(got.columns?.length).toBe(good.length);
    expect(got.columns?.features[1]?.[0]).toBe(good[0]!.cpu_usage_pct);
  });

  it('reads null as an omitted optional feature and a row without a baseline or SLO', () => {
    const body = {
      columns: {
        ...Object.fromEntries(Object.entries(healthy).map(([k, v]) => [k, [v, v]])),
        replicas: [null, 4],
      },
      baseline: { cpu_usage_pct: { p50: [null, 0.6], p90: [null, 0.9] } },
      slo: [{ availability: 0.999 }, null],
    };
    const got = parse(body);
    if (got.kind !== 'batch') throw new Error('expected a batch');
    expect(got.rows).toEqual([
      { ...healthy, slo: { availability: 0.999 } },
      { ...healthy, replicas: 4 },
    ]);
    expect(withBaselines(got.rows, got.baseline)).toEqual([
      { ...healthy, slo: { availability: 0.999 } },
      { ...healthy, replicas: 4, baseline: { cpu_usage_pct: { p50: 0.6, p90: 0.9 } } },
    ]);
  });

  const cols = (changes: Record<string, unknown>): Record<string, unknown> => ({
    ...Object.fromEntries(Object.entries(healthy).map(([k, v]) => [k, [v, v, v]])),
    ...changes,
  });
  it.each<[string, unknown, [string, string][]]>([
    ['columns not an object', { columns: [1, 2] }, [['columns', 'type']]],
    [
      'a column not an array',
      { columns: cols({ cpu_usage_pct: 5 }) },
      [['columns.cpu_usage_pct', 'type']],
    ],
    [
      'a column of another length',
      { columns: cols({ cpu_usage_pct: [1, 2] }) },
      [['columns.cpu_usage_pct', 'length']],
    ],
    [
      'a required column missing',
      { columns: cols({ restart_count_last_5m: undefined }) },
      [['columns.restart_count_last_5m', 'required']],
    ],
    [
      'an unknown column',
      { columns: cols({ cpu_usage: [1, 1, 1] }) },
      [['columns.cpu_usage', 'unknown']],
    ],
    [
      'an unknown top-level field',
      { columns: cols({}), namespace: ['a'] },
      [['namespace', 'unknown']],
    ],
    [
      'no rows',
      { columns: Object.fromEntries(Object.keys(healthy).map((k) => [k, []])) },
      [['columns', 'min_items']],
    ],
    [
      'more rows than BATCH_LIMIT',
      {
        columns: Object.fromEntries(Object.entries(healthy).map(([k, v]) => [k, Array(6).fill(v)])),
      },
      [['columns', 'max_items']],
    ],
    [
      'a value out of range, named by column and row',
      { columns: cols({ cpu_usage_pct: [1, 2, -1] }) },
      [['columns.cpu_usage_pct[2]', 'min']],
    ],
    [
      'a string, a boolean, and Infinity (null once JSON)',
      {
        columns: cols({ cpu_usage_pct: ['0.5', 1, 1], restart_count_last_5m: [0, true, Infinity] }),
      },
      [
        ['columns.cpu_usage_pct[0]', 'type'],
        ['columns.restart_count_last_5m[1]', 'type'],
        ['columns.restart_count_last_5m[2]', 'required'],
      ],
    ],
    [
      'null in a required column',
      { columns: cols({ http_5xx_error_rate: [0, null, 0] }) },
      [['columns.http_5xx_error_rate[1]', 'required']],
    ],
    [
      'a baseline statistic out of range, unordered quantiles, unknown signal and statistic',
      {
        columns: cols({}),
        baseline: {
          cpu_usage_pct: { p10: [1, 5, 1], p50: [2, 3, -1], last: [1, 1, 1] },
          disk: { p50: [1, 1, 1] },
        },
      },
      [
        ['baseline.cpu_usage_pct.last', 'unknown'],
        ['baseline.disk', 'unknown'],
      ],
    ],
    [
      'a baseline statistic out of range and unordered quantiles, named by row',
      { columns: cols({}), baseline: { cpu_usage_pct: { p10: [1, 5, 1], p50: [2, 3, -1] } } },
      [
        ['baseline.cpu_usage_pct[1]', 'order'],
        ['baseline.cpu_usage_pct[2]', 'order'],
        ['baseline.cpu_usage_pct.p50[2]', 'min'],
      ],
    ],
    [
      'a bad SLO, named by row',
      { columns: cols({}), slo: [null, { availability: 2 }, 'x'] },
      [
        ['slo[1].availability', 'max'],
        ['slo[2]', 'type'],
      ],
    ],
    ['slo not an array', { columns: cols({}), slo: { availability: 0.9 } }, [['slo', 'type']]],
  ])('400 for %s', (_name, body, want) => {
    expect(brief(detailsOf(body)).sort()).toEqual(want.sort());
  });

  it('says the rule and the value in the message, like the row form', () => {
    const [d] = detailsOf({ columns: cols({ ready_replica_ratio: [1, 1.5, 1] }) });
    expect(d).toEqual({
      field: 'columns.ready_replica_ratio[1]',
      rule: 'max',
      got: 1.5,
      message: expect.stringContaining('must be ≤ 1') as unknown as string,
    });
  });

  it('keeps the row form and the single body as they were', () => {
    expect(parse({ ...healthy })).toEqual({ kind: 'single', row: healthy });
    expect(parse({ instances: [healthy, CRASH_LOOP_EXAMPLE] })).toEqual({
      kind: 'batch',
      rows: [healthy, CRASH_LOOP_EXAMPLE],
    });
  });
});
