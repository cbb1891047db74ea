import { describe, expect, it } from '@jest/globals';
import { Rng } from '../rng.js';
import {
  ORIGINAL_HEALTHY_EXAMPLE,
  type BaselineFeatureName,
  type BaselineStat,
  type FeatureInput,
} from '../schema.js';
import {
  baselineColumnsOf,
  columnarRequestOf,
  rowsOfColumnarRequest,
  rowsWithContext,
  withBaselines,
  writeColumnarRequest,
  type RequestContext,
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

/** The rows' own baselines and SLOs as a `RequestContext`, as a caller holding columns gives them. */
function contextOfRows(rows: readonly FeatureInput[]): RequestContext & { filled: string[] } {
  const filled: string[] = [];
  return {
    filled,
    fillBaseline(signal: BaselineFeatureName, stat: BaselineStat, into: Float64Array): boolean {
      filled.push(`${signal}.${stat}`);
      let sent = false;
      rows.forEach((row, r) => {
        const v = row.baseline?.[signal]?.[stat];
        if (v !== undefined) {
          into[r] = v;
          sent = true;
        }
      });
      return sent;
    },
    slo: (r) => rows[r]!.slo,
  };
}

/** `rows` without their baseline and SLO objects: what a caller with a context sends as rows. */
const bare = (rows: readonly FeatureInput[]): FeatureInput[] =>
  rows.map(({ baseline: _b, slo: _s, ...features }) => features as FeatureInput);

describe('the columnar request with the context as columns', () => {
  const rng = new Rng(5);
  const rows = [...edgeRows(), ...Array.from({ length: 300 }, () => randomRow(rng))];

  it('writes the same bytes as the rows with their baseline and SLO objects', () => {
    const withoutSlo = rows.map((r) => ({ ...r, slo: undefined }));
    const withoutAny = bare(rows);
    for (const sent of [rows, rows.slice(0, 1), withoutSlo, withoutAny]) {
      const context = contextOfRows(sent);
      expect(writeColumnarRequest(bare(sent), context).toString('utf8')).toBe(
        writeColumnarRequest(sent).toString('utf8'),
      );
    }
  });

  it('reads the baseline and SLO from the context only, not from the rows', () => {
    const context = contextOfRows([ORIGINAL_HEALTHY_EXAMPLE]);
    const body = JSON.parse(
      writeColumnarRequest(
        [
          {
            ...ORIGINAL_HEALTHY_EXAMPLE,
            baseline: { cpu_usage_pct: { p50: 1 } },
            slo: { availability: 0.99 },
          },
        ],
        context,
      ).toString('utf8'),
    ) as Record<string, unknown>;
    expect(body.baseline).toBeUndefined();
    expect(body.slo).toBeUndefined();
    // every schema statistic asked once, column by column
    expect(context.filled).toHaveLength(9 * 7);
  });

  it('a row with a baseline beside one without: null where a row sends none', () => {
    const sent: FeatureInput[] = [
      { ...ORIGINAL_HEALTHY_EXAMPLE, baseline: { cpu_usage_pct: { p50: 30, p90: 40 } } },
      ORIGINAL_HEALTHY_EXAMPLE,
    ];
    const body = JSON.parse(
      writeColumnarRequest(bare(sent), contextOfRows(sent)).toString('utf8'),
    ) as Record<string, unknown>;
    expect(body.baseline).toEqual({ cpu_usage_pct: { p50: [30, null], p90: [40, null] } });
    expect(body.slo).toBeUndefined();
  });

  it('rowsWithContext makes the rows the request stands for', () => {
    const context = contextOfRows(rows);
    const made = rowsWithContext(bare(rows), context);
    expect(tidy(made)).toEqual(tidy(rows));
    expect(writeColumnarRequest(made).toString('utf8')).toBe(
      writeColumnarRequest(rows).toString('utf8'),
    );
  });
});
