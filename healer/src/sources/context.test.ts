import { describe, expect, it } from '@jest/globals';
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  ORIGINAL_HEALTHY_EXAMPLE,
  SLO_WINDOWS,
  type FeatureInput,
} from '@aiops/model/schema';
import { writeColumnarRequest } from '@aiops/model/scoring/requestColumns';
import {
  buildContext,
  buildContextOf,
  ContextColumns,
  parseObjective,
  sloAnnotationProblems,
  requestContextOf,
  type ContextRow,
  type ContextSpec,
  type ContextValue,
} from './context.js';

const b = (
  feature: 'cpu_usage_pct' | 'http_p95_latency_seconds',
  stat: ContextValue extends infer _
    ? 'p10' | 'p50' | 'p90' | 'count' | 'recent' | 'last_week' | 'slope'
    : never,
  value: number,
): ContextValue => ({
  kind: 'baseline',
  feature,
  stat,
  value,
});

describe('buildContext', () => {
  it.each<[string, ContextValue[], ReturnType<typeof buildContext>]>([
    ['nothing', [], {}],
    [
      'quantiles with enough points',
      [
        b('cpu_usage_pct', 'p10', 1),
        b('cpu_usage_pct', 'p50', 2),
        b('cpu_usage_pct', 'p90', 3),
        b('cpu_usage_pct', 'count', 61),
      ],
      { baseline: { cpu_usage_pct: { p10: 1, p50: 2, p90: 3 } } },
    ],
    [
      'quantiles over too few points are dropped',
      [
        b('cpu_usage_pct', 'p50', 2),
        b('cpu_usage_pct', 'count', 9),
        b('cpu_usage_pct', 'slope', 0.5),
      ],
      { baseline: { cpu_usage_pct: { slope: 0.5 } } },
    ],
    [
      'NaN and Inf are dropped',
      [b('cpu_usage_pct', 'recent', NaN), b('cpu_usage_pct', 'slope', Infinity)],
      {},
    ],
    [
      'interpolation rounding keeps the order',
      [
        b('cpu_usage_pct', 'p10', 2.0000001),
        b('cpu_usage_pct', 'p50', 2),
        b('cpu_usage_pct', 'p90', 3),
        b('cpu_usage_pct', 'count', 61),
      ],
      { baseline: { cpu_usage_pct: { p10: 2, p50: 2, p90: 3 } } },
    ],
    [
      'SLO windows',
      [
        { kind: 'slo', window: '5m', sli: 'error_ratio', value: 0.1 },
        { kind: 'slo', window: '5m', sli: 'requests', value: 30 },
        { kind: 'slo', window: '1h', sli: 'error_ratio', value: 1.5 },
      ],
      { slo: { windows: { '5m': { error_ratio: 0.1, requests: 30 } } } },
    ],
  ])('%s', (_n, values, want) => {
    expect(buildContext(values, 10)).toEqual(want);
  });

  it('reads one row of the context columns (buildContextOf): the count after the quantiles, NaN for no value', () => {
    const specs: ContextSpec[] = [
      { kind: 'baseline', feature: 'cpu_usage_pct', stat: 'p50' },
      { kind: 'baseline', feature: 'cpu_usage_pct', stat: 'count' },
      { kind: 'baseline', feature: 'http_p95_latency_seconds', stat: 'p50' },
      { kind: 'baseline', feature: 'http_p95_latency_seconds', stat: 'count' },
      { kind: 'baseline', feature: 'http_p95_latency_seconds', stat: 'recent' },
      { kind: 'slo', window: '1h', sli: 'requests' },
    ];
    expect(buildContextOf(specs, Float64Array.of(2, 61, 0.2, 3, NaN, NaN), 10)).toEqual({
      baseline: { cpu_usage_pct: { p50: 2 } },
    });
    expect(buildContextOf(specs, Float64Array.of(NaN, NaN, NaN, NaN, 0.3, 5), 10)).toEqual({
      baseline: { http_p95_latency_seconds: { recent: 0.3 } },
      slo: { windows: { '1h': { requests: 5 } } },
    });
  });

  it('reads the SLO objectives from the annotations', () => {
    expect(
      buildContext([], 10, {
        'aiops.io/slo-availability': '0.9995',
        'aiops.io/slo-latency-p95-seconds': '0.3',
      }),
    ).toEqual({
      slo: { availability: 0.9995, latency_p95_seconds: 0.3 },
    });
    expect(buildContext([], 10, { 'aiops.io/slo-latency-p95-seconds': 'fast' })).toEqual({});
  });

  it.each([
    ['0.999', 0.999],
    ['99.9%', 0.999],
    ['99.9', 0.999],
    ['1', undefined],
    ['abc', undefined],
    [undefined, undefined],
  ])('objective %p is %p', (text, want) => {
    expect(parseObjective(text)).toBe(want);
  });

  const AVAILABILITY_RULE =
    'is not an objective above 50 % and below 100 % (0.999 or 99.9%); ignored';
  const LATENCY_RULE = 'is not a number of seconds above 0 and at most 600; ignored';
  it.each<[Record<string, string> | undefined, string[]]>([
    [undefined, []],
    [{}, []],
    [{ 'aiops.io/slo-availability': '99.9%', 'aiops.io/slo-latency-p95-seconds': '600' }, []],
    [
      { 'aiops.io/slo-availability': 'abc' },
      [`aiops.io/slo-availability: "abc" ${AVAILABILITY_RULE}`],
    ],
    [{ 'aiops.io/slo-availability': '' }, [`aiops.io/slo-availability: "" ${AVAILABILITY_RULE}`]],
    [
      { 'aiops.io/slo-availability': '100%' },
      [`aiops.io/slo-availability: "100%" ${AVAILABILITY_RULE}`],
    ],
    [
      { 'aiops.io/slo-availability': '0.5' },
      [`aiops.io/slo-availability: "0.5" ${AVAILABILITY_RULE}`],
    ],
    [
      { 'aiops.io/slo-availability': 'NaN' },
      [`aiops.io/slo-availability: "NaN" ${AVAILABILITY_RULE}`],
    ],
    [
      { 'aiops.io/slo-latency-p95-seconds': '0' },
      [`aiops.io/slo-latency-p95-seconds: "0" ${LATENCY_RULE}`],
    ],
    [
      { 'aiops.io/slo-latency-p95-seconds': ' ' },
      [`aiops.io/slo-latency-p95-seconds: " " ${LATENCY_RULE}`],
    ],
    [
      { 'aiops.io/slo-latency-p95-seconds': '601' },
      [`aiops.io/slo-latency-p95-seconds: "601" ${LATENCY_RULE}`],
    ],
    [
      { 'aiops.io/slo-latency-p95-seconds': 'Infinity' },
      [`aiops.io/slo-latency-p95-seconds: "Infinity" ${LATENCY_RULE}`],
    ],
  ])('SLO annotations %j: problems %j', (annotations, want) => {
    expect(sloAnnotationProblems(annotations)).toEqual(want);
  });
});

describe('the context as columns (ContextColumns, requestContextOf)', () => {
  /** Every schema statistic with its count, and every SLO window: as a full plan has them. */
  const specs: ContextSpec[] = [
    ...BASELINE_FEATURES.flatMap((feature) =>
      [...BASELINE_STATS, 'count' as const].map((stat): ContextSpec => ({
        kind: 'baseline',
        feature,
        stat,
      })),
    ),
    ...SLO_WINDOWS.flatMap((window) =>
      (['error_ratio', 'requests', 'p95_seconds'] as const).map((sli): ContextSpec => ({
        kind: 'slo',
        window,
        sli,
      })),
    ),
  ];
  const at = (feature: string, stat: string) =>
    specs.findIndex((s) => s.kind === 'baseline' && s.feature === feature && s.stat === stat);
  const MIN_POINTS = 10;
  /** Deployment i's values: the edge cases first, then a deterministic mix. */
  const n = 200;
  const columns = specs.map(() => new Float64Array(n).fill(Number.NaN));
  let seed = 17;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 4; i < n; i++)
    specs.forEach((s, k) => {
      const u = next();
      if (u < 0.3) return; // no value
      if (u < 0.33) columns[k]![i] = [Infinity, -Infinity, Number.NaN][i % 3]!;
      else if (s.kind === 'baseline' && s.stat === 'count')
        columns[k]![i] = Math.floor(next() * 20);
      else if (s.kind === 'slo' && u < 0.4) columns[k]![i] = i % 2 === 0 ? -1 : 1.5;
      else columns[k]![i] = Math.round(next() * 1000) / 100;
    });
  // 0: no context at all; 1: a quantile over too few points, p10 above p50 and p90 below it
  columns[at('cpu_usage_pct', 'count')]![1] = 9;
  columns[at('cpu_usage_pct', 'p50')]![1] = 2;
  columns[at('cpu_usage_pct', 'recent')]![1] = 3;
  columns[at('http_p95_latency_seconds', 'count')]![1] = 61;
  columns[at('http_p95_latency_seconds', 'p10')]![1] = 0.3;
  columns[at('http_p95_latency_seconds', 'p50')]![1] = 0.2;
  columns[at('http_p95_latency_seconds', 'p90')]![1] = 0.1;
  // 2: SLO windows only; 3: SLO annotations only
  columns[
    specs.findIndex((s) => s.kind === 'slo' && s.window === '1h' && s.sli === 'requests')
  ]![2] = 5;
  const annotations = Array.from({ length: n }, (_, i): Record<string, string> | undefined =>
    i === 3 || (i > 3 && i % 7 === 0)
      ? { 'aiops.io/slo-availability': '99.9%', 'aiops.io/slo-latency-p95-seconds': '0.3' }
      : undefined,
  );
  const cols = new ContextColumns(specs, columns, MIN_POINTS, annotations);
  const rowOf = (i: number) => columns.map((c) => c[i]!);
  /** The features of each deployment (no context of their own). */
  const features: FeatureInput[] = Array.from({ length: n }, (_, i) => ({
    ...ORIGINAL_HEALTHY_EXAMPLE,
    replicas: i + 1,
  }));
  /** The old path: each deployment's context built as objects onto its input. */
  const withObjects = features.map((f, i) => ({
    ...f,
    ...buildContextOf(specs, rowOf(i), MIN_POINTS, annotations[i]),
  }));

  it('holds for each deployment what buildContextOf makes of its row', () => {
    expect(cols.contextOf(1)).toEqual({
      baseline: {
        cpu_usage_pct: { recent: 3 },
        http_p95_latency_seconds: { p10: 0.2, p50: 0.2, p90: 0.2 },
      },
    });
    expect(cols.contextOf(0)).toEqual({});
    for (let i = 0; i < n; i++) {
      const want = buildContextOf(specs, rowOf(i), MIN_POINTS, annotations[i]);
      expect(cols.contextOf(i)).toEqual(want);
      expect(cols.slo(i)).toEqual(want.slo);
      for (const feature of BASELINE_FEATURES)
        for (const stat of BASELINE_STATS)
          expect(cols.baselineReader(feature, stat)(i)).toBe(
            want.baseline?.[feature]?.[stat] ?? Number.NaN,
          );
    }
  });

  it('writes the same /predict request bytes as the context objects', () => {
    const rows: ContextRow[] = features.map((_, row) => ({ columns: cols, row }));
    expect(writeColumnarRequest(features, requestContextOf(rows, features)).toString('utf8')).toBe(
      writeColumnarRequest(withObjects).toString('utf8'),
    );
    // deployments with a baseline and without one, alone
    for (const i of [0, 1, 2, 3]) {
      expect(
        writeColumnarRequest([features[i]!], requestContextOf([rows[i]!], [features[i]!])).toString(
          'utf8',
        ),
      ).toBe(writeColumnarRequest([withObjects[i]!]).toString('utf8'));
    }
  });

  it('a row without context rows sends its own baseline and SLO', () => {
    const own: FeatureInput = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      baseline: { cpu_usage_pct: { p50: 30, slope: 1 } },
      slo: { availability: 0.99 },
    };
    const inputs = [features[1]!, own, features[2]!];
    const rows = [{ columns: cols, row: 1 }, undefined, { columns: cols, row: 2 }];
    expect(writeColumnarRequest(inputs, requestContextOf(rows, inputs)).toString('utf8')).toBe(
      writeColumnarRequest([withObjects[1]!, own, withObjects[2]!]).toString('utf8'),
    );
  });
});
