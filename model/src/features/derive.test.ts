import { describe, expect, it } from '@jest/globals';
import {
  DERIVED_INPUTS,
  Derivation,
  DeriveInputError,
  derive,
  imputedNames,
  squash,
} from './derive.js';
import {
  BASELINE_FEATURES,
  BASELINE_STATS,
  CRASH_LOOP_EXAMPLE,
  FEATURES,
  ORIGINAL_HEALTHY_EXAMPLE,
  type FeatureInput,
} from '../schema.js';
import { referenceDerive, type ReferenceDerivation } from './referenceDerive.js';
import { Rng } from '../rng.js';

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

/** A value as a client might send it: usual, at an edge, or broken (NaN, ±Infinity, a string, null). */
function sentValue(rng: Rng, f: (typeof FEATURES)[number]): unknown {
  const k = rng.next();
  if (k < 0.04) return 0;
  if (k < 0.06) return -0;
  if (k < 0.09) return f.max;
  if (k < 0.1) return -1;
  if (k < 0.11) return 1e300;
  if (k < 0.115) return NaN;
  if (k < 0.12) return Infinity;
  if (k < 0.123) return '3';
  if (k < 0.125) return null;
  return f.max - f.min > 100 ? rng.logUniform(1e-4, f.max) : rng.uniform(f.min, f.max);
}

/** A baseline statistic: near `v`, anywhere, equal to it, or not a usable number. */
function sentStat(rng: Rng, v: number): unknown {
  const k = rng.next();
  if (k < 0.05) return NaN;
  if (k < 0.07) return Infinity;
  if (k < 0.08) return 'x';
  if (k < 0.15) return v;
  if (k < 0.2) return 0;
  if (k < 0.25) return -v;
  return v * rng.logUniform(0.1, 10);
}

/** Random rows, mostly valid: omitted, zero and edge values, and now and then a broken one. */
function chaoticRow(rng: Rng): Record<string, unknown> {
  const broken = rng.chance(0.15);
  const row: Record<string, unknown> = {};
  for (const f of FEATURES) {
    if (rng.chance(f.required ? 0.01 : 0.25)) continue;
    const v = broken ? sentValue(rng, f) : (sentValue(rng, f) as number);
    row[f.name] = broken || (typeof v === 'number' && v - v === 0) ? v : f.default;
  }
  if (rng.chance(0.75)) {
    const ctx: Record<string, Record<string, unknown>> = {};
    for (const f of BASELINE_FEATURES) {
      if (rng.chance(0.2)) continue;
      const now = typeof row[f] === 'number' ? (row[f] as number) : 1;
      const stats: Record<string, unknown> = {};
      for (const s of BASELINE_STATS) if (rng.chance(0.8)) stats[s] = sentStat(rng, now);
      ctx[f] = stats;
    }
    row.baseline = ctx;
  }
  return row;
}

/** What a derivation gave: its numbers, or the error it threw. */
function outcome(
  run: () => {
    raw: ArrayLike<number>;
    refRaw: ArrayLike<number>;
    x: ArrayLike<number>;
    ref: ArrayLike<number>;
    imputed: string[];
    stats: object;
  },
): unknown {
  try {
    const d = run();
    // Object.is: bit for bit, -0 and NaN included.
    const bits = (xs: ArrayLike<number>): string[] =>
      Array.from(xs, (x) => (Object.is(x, -0) ? '-0' : String(x)));
    return {
      raw: bits(d.raw),
      refRaw: bits(d.refRaw),
      x: bits(d.x),
      ref: bits(d.ref),
      imputed: d.imputed,
      stats: JSON.stringify(d.stats, (_k, v: unknown) =>
        typeof v === 'number' ? bits([v])[0] : v,
      ),
    };
  } catch (err) {
    const e = err as DeriveInputError;
    return { threw: e.constructor.name, feature: e.feature, reason: e.reason, message: e.message };
  }
}

describe('the optimised derive against the plain reference', () => {
  const rng = new Rng(1130);
  const still = Object.fromEntries(
    BASELINE_FEATURES.map((f) => [
      f,
      { p10: 0, p50: 0, p90: 0, recent: 0, last_week: 0, slope: 0 },
    ]),
  );
  const rows: Record<string, unknown>[] = [
    { ...ORIGINAL_HEALTHY_EXAMPLE },
    { ...CRASH_LOOP_EXAMPLE },
    { ...ORIGINAL_HEALTHY_EXAMPLE, baseline: {} },
    { ...ORIGINAL_HEALTHY_EXAMPLE, baseline: still },
    Object.fromEntries(FEATURES.map((f) => [f.name, 0])),
    Object.fromEntries(FEATURES.map((f) => [f.name, -0])),
    { ...ORIGINAL_HEALTHY_EXAMPLE, cpu_usage_pct: NaN, http_5xx_error_rate: undefined },
    ...Array.from({ length: 5000 }, () => chaoticRow(rng)),
  ];

  it('gives the same numbers bit for bit, the same imputations and the same errors (one Derivation reused)', () => {
    // One scratch for every row, as the scorer keeps it: nothing of a row may leak into the next.
    const d = new Derivation();
    const stats = (): object =>
      Object.fromEntries(BASELINE_FEATURES.map((f, k) => [f, d.stats[k]]));
    const differ: unknown[] = [];
    let threw = 0;
    let imputed = 0;
    rows.forEach((row, r) => {
      const fast = outcome(() => {
        derive(row as FeatureInput, d);
        return { ...d, imputed: imputedNames(d.imputedMask), stats: stats() };
      });
      const plain = outcome((): ReferenceDerivation => referenceDerive(row as FeatureInput));
      if (JSON.stringify(fast) !== JSON.stringify(plain)) differ.push({ row: r, fast, plain });
      if ('threw' in (plain as object)) threw++;
      else if ((plain as { imputed: string[] }).imputed.length > 0) imputed++;
    });
    expect(differ.slice(0, 3)).toEqual([]);
    // Both kinds of row were compared in numbers.
    expect(threw).toBeGreaterThan(200);
    expect(imputed).toBeGreaterThan(1500);
  });
});
