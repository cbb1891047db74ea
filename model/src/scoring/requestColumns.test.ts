import { describe, expect, it } from '@jest/globals';
import { Rng } from '../rng.js';
import { ORIGINAL_HEALTHY_EXAMPLE, type FeatureInput } from '../schema.js';
import {
  baselineColumnsOf,
  columnarRequestOf,
  rowsOfColumnarRequest,
  withBaselines,
  writeColumnarRequest,
} from './requestColumns.js';
import { edgeRows, randomRow } from './testRows.js';

/** Rows as JSON sends them, without empty baseline objects (the columns cannot carry those). */
const tidy = (rows: FeatureInput[]): unknown =>
  rows.map((r) => {
    const { baseline, ...rest } = JSON.parse(JSON.stringify(r)) as FeatureInput;
    const kept = Object.entries(baseline ?? {}).filter(([, s]) => Object.keys(s).length > 0);
    return kept.length > 0 ? { ...rest, baseline: Object.fromEntries(kept) } : rest;
  });

describe('the columnar request', () => {
  const rng = new Rng(3);
  const rows = [...edgeRows(), ...Array.from({ length: 500 }, () => randomRow(rng))];

  it('round-trips rows through JSON: whole, and with the baselines kept as columns', () => {
    const req = JSON.parse(JSON.stringify(columnarRequestOf(rows))) as ReturnType<
      typeof columnarRequestOf
    >;
    expect(tidy(rowsOfColumnarRequest(req, rows.length))).toEqual(tidy(rows));
    const bare = rowsOfColumnarRequest({ columns: req.columns, slo: req.slo }, rows.length);
    expect(bare.every((r) => r.baseline === undefined)).toBe(true);
    expect(tidy(withBaselines(bare, baselineColumnsOf(req.baseline)))).toEqual(tidy(rows));
  });

  it('is written as bytes exactly as JSON.stringify writes the request object', () => {
    const odd: FeatureInput[] = [
      { ...ORIGINAL_HEALTHY_EXAMPLE, replicas: -0, cpu_usage_pct: 1e-7 },
      {
        ...ORIGINAL_HEALTHY_EXAMPLE,
        cpu_usage_pct: Number.NaN,
        baseline: { cpu_usage_pct: { p50: Number.POSITIVE_INFINITY, p90: 1e21 } },
        slo: { availability: 0.999, windows: { '5m': { error_ratio: 0.5 } } },
      },
    ];
    for (const sent of [rows, rows.slice(0, 1), odd, [ORIGINAL_HEALTHY_EXAMPLE]]) {
      expect(writeColumnarRequest(sent).toString('utf8')).toBe(
        JSON.stringify(columnarRequestOf(sent)),
      );
    }
  });

  it('leaves out what no row sends, and uses null where some rows do not', () => {
    const req = columnarRequestOf([
      ORIGINAL_HEALTHY_EXAMPLE,
      { ...ORIGINAL_HEALTHY_EXAMPLE, replicas: 2, baseline: { cpu_usage_pct: { p50: 1 } } },
    ]);
    expect(req.columns.replicas).toEqual([null, 2]);
    expect(req.columns.http_caller_p95_latency_seconds).toBeUndefined();
    expect(req.baseline).toEqual({ cpu_usage_pct: { p50: [null, 1] } });
    expect(req.slo).toBeUndefined();
    expect(baselineColumnsOf(undefined)).toBeUndefined();
  });

  it('builds rows for a different column set than the last call (one builder per set)', () => {
    const a = rowsOfColumnarRequest({ columns: { cpu_usage_pct: [1, null] } }, 2);
    const b = rowsOfColumnarRequest({ columns: { replicas: [3, 4] }, slo: [null, {}] }, 2);
    expect(a).toEqual([{ cpu_usage_pct: 1 }, {}]);
    expect(b).toEqual([{ replicas: 3 }, { replicas: 4, slo: {} }]);
  });
});
