import { describe, expect, it } from '@jest/globals';
import {
  DERIVED_INPUTS,
  Derivation,
  DeriveInputError,
  derive,
  imputedNames,
  squash,
} from './derive.js';
import { ORIGINAL_HEALTHY_EXAMPLE, type FeatureInput } from '../schema.js';

const idx = (name: string): number => DERIVED_INPUTS.findIndex((d) => d.name === name);
const run = (row: FeatureInput): Derivation => {
  const d = new Derivation();
  derive(row, d);
  return d;
};

describe('derived inputs', () => {
  it('without a baseline, relative inputs are zero and absolute CPU, bytes and rates do not enter', () => {
    const a = run({
      ...ORIGINAL_HEALTHY_EXAMPLE,
      cpu_usage_pct: 95,
      memory_usage_bytes: 9e9,
      network_receive_bytes_per_s: 1e9,
    });
    const b = run(ORIGINAL_HEALTHY_EXAMPLE);
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    for (const name of ['lat_z', 'cpu_z', 'cpu_rise', 'rps_z', 'rx_z', 'mem_z'])
      expect(a.x[idx(name)]).toBe(0);
  });

  it.each<[string, Partial<FeatureInput>, string, number]>([
    [
      'restarts are per desired pod',
      { restart_count_last_5m: 4, replicas: 2 },
      'restarts_per_pod',
      Math.log1p(2),
    ],
    [
      'without replicas one pod is assumed',
      { restart_count_last_5m: 4 },
      'restarts_per_pod',
      Math.log1p(4),
    ],
    [
      'unavailable share of desired pods, at most 1',
      { unavailable_replicas: 30, replicas: 20 },
      'unavailable_share',
      1,
    ],
    ['not ready', { ready_replica_ratio: 0.25 }, 'not_ready', 0.75],
    [
      'memory exhaustion: growth over headroom',
      { memory_limit_ratio: 0.8, memory_growth_ratio_per_min: 0.02 },
      'mem_exhaustion',
      0.1,
    ],
    [
      'a steady cache at 85 % does not exhaust',
      { memory_limit_ratio: 0.85, memory_growth_ratio_per_min: 0 },
      'mem_exhaustion',
      0,
    ],
  ])('%s', (_n, change, input, want) => {
    expect(run({ ...ORIGINAL_HEALTHY_EXAMPLE, ...change }).x[idx(input)]).toBeCloseTo(want, 12);
  });

  it('judges a signal against its own normal, and last week when that is less surprising', () => {
    const base = { p10: 0.08, p50: 0.1, p90: 0.14, recent: 0.1, slope: 0 };
    const row = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      http_p95_latency_seconds: 0.4,
      baseline: { http_p95_latency_seconds: base },
    };
    const z = (0.4 - 0.1) / (0.04 / 1.2816);
    expect(run(row).x[idx('lat_z')]).toBeCloseTo(squash(z), 9);
    const weekly = { ...row, baseline: { http_p95_latency_seconds: { ...base, last_week: 0.38 } } };
    expect(run(weekly).x[idx('lat_z')]).toBeCloseTo(squash((0.4 - 0.38) / (0.04 / 1.2816)), 9);
  });

  it('floors a spread that never moved, so one change is not an infinite z', () => {
    const row = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      http_5xx_error_rate: 0.01,
      baseline: { http_5xx_error_rate: { p10: 0, p50: 0, p90: 0 } },
    };
    expect(run(row).x[idx('err_z')]).toBeCloseTo(squash(0.01 / 0.002), 9);
  });

  it('imputes an omitted signal at its normal, and starts the explanation there', () => {
    const row = {
      ...ORIGINAL_HEALTHY_EXAMPLE,
      baseline: { http_p95_latency_seconds: { p10: 0.2, p50: 0.3, p90: 0.5 } },
    };
    const d = run(row);
    expect(d.raw[7]).toBe(0.3);
    expect(d.refRaw[7]).toBe(0.3);
    expect(d.x[idx('lat_z')]).toBe(0);
    expect(imputedNames(d.imputedMask)).toContain('http_p95_latency_seconds');
    expect(d.refRaw[0]).toBe(0); // restarts: the healthy value
  });

  it.each<[string, Partial<Record<string, unknown>>, RegExp]>([
    [
      'a missing required feature',
      { http_5xx_error_rate: undefined },
      /http_5xx_error_rate is required/,
    ],
    ['NaN', { cpu_usage_pct: NaN }, /cpu_usage_pct must be a finite number, got NaN/],
    ['a string', { cpu_usage_pct: '3' }, /cpu_usage_pct must be a finite number, got 3/],
  ])('throws DeriveInputError for %s', (_n, change, message) => {
    const row = { ...ORIGINAL_HEALTHY_EXAMPLE, ...change } as FeatureInput;
    if (change.http_5xx_error_rate === undefined && 'http_5xx_error_rate' in change)
      delete (row as Record<string, unknown>).http_5xx_error_rate;
    expect(() => run(row)).toThrow(DeriveInputError);
    expect(() => run(row)).toThrow(message);
  });
});
