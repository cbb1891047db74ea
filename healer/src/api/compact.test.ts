import { describe, expect, it } from '@jest/globals';
import type { Contribution } from '@aiops/model/schema';
import {
  isoTime,
  packExplanation,
  packFeatures,
  unpackExplanation,
  unpackFeatures,
} from './compact.js';

const c = (over: Partial<Contribution> & Pick<Contribution, 'feature'>): Contribution => ({
  value: 0.3,
  contribution: 0.2,
  ...over,
});

describe('packExplanation / unpackExplanation', () => {
  it.each<[string, Contribution[], 'packed' | 'list']>([
    ['empty', [], 'packed'],
    [
      'with and without a reference, order kept (not by size)',
      [
        c({ feature: 'http_5xx_error_rate', value: 0.31, contribution: 0.42, reference: 0.01 }),
        c({ feature: 'cpu_usage_pct', value: 55, contribution: -0.03 }),
        c({ feature: 'restart_count_last_5m', value: 0, contribution: 0, reference: 0 }),
      ],
      'packed',
    ],
    [
      'boundary values',
      [c({ feature: 'replicas', value: 1e308, contribution: -1e-300 })],
      'packed',
    ],
    ['a feature this build does not know', [c({ feature: 'gpu_temp' as never })], 'list'],
    ['a NaN value', [c({ feature: 'cpu_usage_pct', value: NaN })], 'list'],
    ['a NaN reference', [c({ feature: 'cpu_usage_pct', reference: NaN })], 'list'],
    ['a missing contribution', [{ feature: 'cpu_usage_pct', value: 1 } as Contribution], 'list'],
  ])('%s round-trips to what came in', (_t, explanation, form) => {
    const packed = packExplanation(explanation);
    expect(form in packed).toBe(true);
    const back = unpackExplanation(packed);
    expect(back).toEqual(explanation);
    // a copy: a reader mutating its rows does not change the store's
    expect(back).not.toBe(explanation);
  });
});

describe('packFeatures / unpackFeatures', () => {
  it.each<[string, Record<string, unknown>, Record<string, number>, 'packed' | 'named']>([
    ['empty', {}, {}, 'packed'],
    [
      'named features, zero kept',
      { cpu_usage_pct: 42.5, restart_count_last_5m: 0 },
      { cpu_usage_pct: 42.5, restart_count_last_5m: 0 },
      'packed',
    ],
    [
      'the model input beside the features (baseline, slo) is not a feature value',
      {
        cpu_usage_pct: 1,
        baseline: { cpu_usage_pct: { p10: 1, p50: 2, p90: 3 } },
        slo: { windows: {} },
      },
      { cpu_usage_pct: 1 },
      'packed',
    ],
    [
      'a NaN value is kept as it came',
      { cpu_usage_pct: NaN, replicas: 2 },
      { cpu_usage_pct: NaN, replicas: 2 },
      'named',
    ],
  ])('%s', (_t, features, shown, form) => {
    const packed = packFeatures(features);
    expect(form in packed).toBe(true);
    expect(unpackFeatures(packed)).toEqual(shown);
  });
});

describe('isoTime', () => {
  it.each<[string, number]>([
    ['the epoch', 0],
    ['a day boundary', Date.parse('2026-12-01T00:00:00.000Z')],
    ['the last millisecond of a day', Date.parse('2026-11-30T23:59:59.999Z')],
    ['a leap day', Date.parse('2028-02-29T12:34:56.007Z')],
    ['single-digit fields', Date.parse('2026-01-02T03:04:05.060Z')],
    ['the last time it formats itself', Date.parse('9999-12-31T23:59:59.999Z')],
    ['past its range (+ years)', Date.parse('9999-12-31T23:59:59.999Z') + 1],
    ['before the epoch', -1],
    ['a fractional millisecond', 1_764_547_200_000.5],
  ])('%s: as toISOString', (_t, t) => {
    expect(isoTime(t)).toBe(new Date(t).toISOString());
  });

  it('alternates days without reusing the wrong one', () => {
    const a = Date.parse('2026-11-30T10:00:00.000Z');
    const b = Date.parse('2026-12-01T10:00:00.000Z');
    expect([isoTime(a), isoTime(b), isoTime(a)]).toEqual([
      '2026-11-30T10:00:00.000Z',
      '2026-12-01T10:00:00.000Z',
      '2026-11-30T10:00:00.000Z',
    ]);
  });

  it('throws as toISOString does for an invalid time', () => {
    expect(() => isoTime(NaN)).toThrow(RangeError);
  });
});
