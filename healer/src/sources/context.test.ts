import { describe, expect, it } from '@jest/globals';
import {
  buildContext,
  buildContextOf,
  parseObjective,
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
});
