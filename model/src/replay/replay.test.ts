import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Predictor } from '../predictor.js';
import type { FeatureName } from '../schema.js';
import { formatReplayCsv, parseReplayCsv } from './csv.js';
import { formatReplayOutput, replay } from './replay.js';

let predictor: Predictor;
beforeAll(async () => {
  predictor = await Predictor.load({ engine: 'cpu' });
});
afterAll(() => predictor.dispose());

const T0 = 1_714_521_600;
type Rows = Parameters<typeof formatReplayCsv>[0];

/** Minute rows of a steady service, with `change` applied from minute `from` to `to`. */
function series(
  deployment: string,
  minutes: number,
  base: Partial<Record<FeatureName, number>>,
  change: Partial<Record<FeatureName, number>> = {},
  from = Infinity,
  to = Infinity,
): Rows {
  return Array.from({ length: minutes }, (_, m) => ({
    t: T0 + m * 60,
    namespace: 'prod',
    deployment,
    values: {
      ...base,
      // A little noise, as real series have.
      http_p95_latency_seconds:
        (base.http_p95_latency_seconds ?? 0.1) * (1 + 0.05 * Math.sin(m * 1.7)),
      cpu_usage_pct: (base.cpu_usage_pct ?? 20) * (1 + 0.05 * Math.cos(m * 1.3)),
      ...(m >= from && m < to ? change : {}),
    },
  }));
}

const STEADY = {
  restart_count_last_5m: 0,
  ready_replica_ratio: 1,
  unavailable_replicas: 0,
  http_5xx_error_rate: 0.001,
  http_requests_per_s: 50,
  network_receive_bytes_per_s: 1e5,
  memory_usage_bytes: 0.85 * 2 ** 31,
  memory_limit_ratio: 0.85,
  memory_growth_ratio_per_min: 0,
  cpu_throttle_ratio: 0,
  replicas: 3,
  http_p95_latency_seconds: 0.12,
  cpu_usage_pct: 30,
};

describe('replay', () => {
  it('a steady service at 85 % of its memory limit raises no alert over two hours', () => {
    const table = parseReplayCsv(formatReplayCsv(series('jvm', 120, STEADY)));
    const r = replay(table, predictor);
    expect(r.atRisk.reduce((a, b) => a + b, 0)).toBe(0);
    expect(r.episodes).toEqual([]);
    expect(Math.max(...r.risk)).toBeLessThan(0.5);
  });

  it('alerts on a fault with the healer entry rule and reports the episode, one output row per input row in order', () => {
    const rows = [
      ...series(
        'api',
        100,
        STEADY,
        { http_5xx_error_rate: 0.3, http_p95_latency_seconds: 2 },
        80,
        90,
      ),
      ...series('web', 100, STEADY),
    ].sort(() => 0); // input order: api first, then web (not time order)
    const table = parseReplayCsv(formatReplayCsv(rows));
    const r = replay(table, predictor);
    const out = [...formatReplayOutput(table, r)].join('').trim().split('\n');
    expect(out[0]).toBe('timestamp,namespace,deployment,risk,at_risk');
    expect(out).toHaveLength(201);
    expect(out[1]).toMatch(/^2024-05-01T00:00:00.000Z,prod,api,0\.\d{4},0$/);
    expect(out[101]).toMatch(/,prod,web,/);
    const api = r.episodes.filter((e) => e.deployment === 'api');
    expect(api).toHaveLength(1);
    expect(api[0]!.start).toBeGreaterThanOrEqual(T0 + 80 * 60);
    expect(api[0]!.start).toBeLessThanOrEqual(T0 + 82 * 60); // 2 rows at a 30 s cadence = 3 cycles
    expect(api[0]!.topFeatures[0]).toMatch(/http_5xx_error_rate|http_p95_latency_seconds/);
    expect(r.episodes.filter((e) => e.deployment === 'web')).toEqual([]);
    // One cycle per row: entering takes 3 rows.
    const strict = replay(table, predictor, { cycleSeconds: 0 });
    expect(strict.episodes.find((e) => e.deployment === 'api')!.start).toBeGreaterThan(
      api[0]!.start,
    );
  });

  it("a sustained error storm on a fresh deployment with no declared objective enters the healer's at-risk state (e2e's traffic spike)", () => {
    // 30-s rows (one healer cycle each): 3 minutes of normal — too little for a baseline — then
    // 300 s at 3× traffic: the CPU pinned, 9 % of requests failing.
    const normal = {
      ...STEADY,
      http_requests_per_s: 90,
      cpu_usage_pct: 31,
      memory_limit_ratio: 0.36,
    };
    const storm = {
      http_requests_per_s: 360,
      cpu_usage_pct: 100,
      cpu_throttle_ratio: 1,
      http_5xx_error_rate: 0.09,
      http_p95_latency_seconds: 0.79,
    };
    const rows: Rows = Array.from({ length: 16 }, (_, i) => ({
      t: T0 + i * 30,
      namespace: 'prod',
      deployment: 'checkout',
      values: { ...normal, ...(i >= 6 ? storm : {}) },
    }));
    const table = parseReplayCsv(formatReplayCsv(rows));
    const r = replay(table, predictor);
    expect(r.episodes).toHaveLength(1);
    const [episode] = r.episodes;
    expect(episode!.layer).toBe('slo');
    expect(episode!.start).toBeGreaterThanOrEqual(T0 + 6 * 30);
    expect(episode!.end).toBe(T0 + 15 * 30); // held to the end of the storm
    // Without the SLO layer the network alone stays under the entry for the whole storm.
    const modelOnly = replay(table, predictor, { sloLayer: false });
    expect(modelOnly.episodes).toEqual([]);
    expect(Math.max(...modelOnly.risk)).toBeLessThan(0.8);
  });

  it('fills a file without required columns at their normal and counts it', () => {
    const rows = series('x', 30, { http_p95_latency_seconds: 0.1, cpu_usage_pct: 10 });
    const table = parseReplayCsv(
      formatReplayCsv(rows, ['http_p95_latency_seconds', 'cpu_usage_pct']),
    );
    const r = replay(table, predictor);
    expect(r.imputedRequired).toBe(30 * 6); // every required feature but cpu
    expect(r.atRisk.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('refuses a bad entry rule', () => {
    const table = parseReplayCsv(formatReplayCsv(series('x', 2, STEADY)));
    expect(() =>
      replay(table, predictor, { rule: { high: 0.5, low: 0.9, enterCycles: 1, exitCycles: 1 } }),
    ).toThrow(/low \(0\.9\) must be ≤ high/);
  });
});
